/**
 * Hot helpers emitted as wasm instead of a call through the JS trampoline (design.md §3):
 *  - bpf_get_smp_processor_id: the instance's CPU (an imported constant global);
 *  - bpf_map_lookup_elem on an ARRAY / PERCPU_ARRAY known at compile time: address arithmetic over the
 *    layout in src/vm/maps/array.ts (index ≥ max_entries → NULL, kernel array_map_lookup_elem);
 *  - bpf_map_lookup_elem on a HASH / PERCPU_HASH known at compile time: a wasm function per map walking
 *    the bucket chain of src/vm/maps/hash.ts with the same MurmurHash3 as src/vm/maps/key-hash.ts, reading
 *    chain links with atomic loads as the TS side does (entries are published by an atomic head store);
 *    on an LRU_HASH / LRU_PERCPU_HASH a hit sets the entry's reference bit atomically (an exchange whose
 *    result is dropped: the IR has no atomic store), as HashMap.lookup's Atomics.store does (the kernel's
 *    bpf_lru_node_set_ref);
 *  - bpf_map_lookup_elem on an LPM_TRIE known at compile time (jit/lower-map-lpm.ts);
 *  - map update / delete / lookup_percpu on arrays and the hash family, push / peek on bloom filters
 *    (jit/lower-map-helpers.ts);
 *  - the XDP helpers of jit/lower-helper-xdp.ts (redirect, redirect_map, adjust_head/meta/tail, buff_len,
 *    load/store_bytes) and the QUEUE / STACK helpers of jit/lower-helper-queue.ts (push, pop, peek);
 *  - lookups in an ARRAY_OF_MAPS, and in a map known only at run time (jit/lower-helper-map.ts);
 *  - bpf_csum_diff outside hardened modules (jit/lower-helper-csum.ts).
 * "Known at compile time" means r1 was loaded by an LD_IMM64 src=1 earlier in the same basic block, which
 * is how clang emits most map helper calls; a call site several of the program's maps reach tests r1
 * against each of them at run time (jit/lower-map-dispatch.ts).
 */
import binaryen from 'binaryen';
import { Bucket, BUCKET_SIZE, HashEntry, LruNode } from '../src/vm/maps/hash.js';
import { Names, type InlineHelper } from './function-builder.js';
import type { Expr, LowerContext } from './lower-context.js';
import type { IrBuilder } from './ir-builder.js';
import { HelperId } from './module-abi.js';
import { lowerXdpHelper } from './lower-helper-xdp.js';
import { lowerQueueHelper } from './lower-helper-queue.js';
import { lowerCallbackHelper } from './lower-helper-callback.js';
import { lowerRuntimeHelper } from './lower-helper-runtime.js';
import { lowerMapOfMapsLookup, lowerDynamicLookup } from './lower-helper-map.js';
import { readMapLayout, type ArrayLayout, type HashLayout } from './map-layout.js';
import { lpmLookup } from './lower-map-lpm.js';
import { lowerPerMap } from './lower-map-dispatch.js';
import { keyEquals, keyHashStatements } from './lower-map-hash.js';
import { lowerMapHelper } from './lower-map-helpers.js';
import { lowerCsumHelper } from './lower-helper-csum.js';

/** Inline helpers specialised on the maps whose headers `u32` (a view of the arena) holds. */
export function createInlineHelpers(u32: Uint32Array): InlineHelper {
  return (ctx, helperId, at) => {
    if (helperId === HelperId.GET_SMP_PROCESSOR_ID) return ctx.m.i64.extend_u(ctx.m.global.get(Names.cpu, binaryen.i32));
    if (helperId !== HelperId.MAP_LOOKUP_ELEM) return lowerXdpHelper(ctx, helperId, at, u32) ?? lowerQueueHelper(ctx, helperId, u32) ?? lowerCallbackHelper(ctx, helperId, at, u32) ?? lowerRuntimeHelper(ctx, helperId, at, u32)
      ?? lowerMapHelper(ctx, helperId, at, u32) ?? lowerCsumHelper(ctx, helperId);
    return lowerPerMap(ctx, (mapAddr) => lookupIn(ctx, u32, mapAddr), () => lowerDynamicLookup(ctx, at)) ?? lowerDynamicLookup(ctx, at);
  };
}

/** bpf_map_lookup_elem specialised on the map at `mapAddr`, or undefined when its type is not lowered. */
function lookupIn(ctx: LowerContext, u32: Uint32Array, mapAddr: number): Expr | undefined {
  const layout = readMapLayout(u32, mapAddr);
  if (layout === undefined) return lowerMapOfMapsLookup(ctx, mapAddr, u32);
  if (layout.kind === 'lpm') return lpmLookup(ctx, layout);
  return layout.kind === 'array' ? arrayLookup(ctx, layout) : hashLookup(ctx, layout, mapAddr);
}

function arrayLookup(ctx: LowerContext, l: ArrayLayout): Expr {
  const { m } = ctx;
  const idx = ctx.tempI32();
  const index = (): Expr => m.local.get(idx, binaryen.i32);
  const slot = l.perCpu
    ? m.i32.add(m.i32.mul(index(), m.i32.const(l.ncpus)), m.global.get(Names.cpu, binaryen.i32))
    : index();
  return m.block(null, [
    m.local.set(idx, m.i32.load(0, 1, m.i32.wrap(ctx.get(2)))),
    m.i64.extend_u(m.select(
      m.i32.lt_u(index(), m.i32.const(l.maxEntries)),
      m.i32.add(m.i32.const(l.data | 0), m.i32.mul(slot, m.i32.const(l.stride))),
      m.i32.const(0),
    )),
  ], binaryen.i64);
}

/** r0 = the value address of r2's key in the hash map at `mapAddr` (layout `l`), or NULL. */
export function hashLookup(ctx: LowerContext, l: HashLayout, mapAddr: number): Expr {
  const { m } = ctx;
  const fn = `hash_lookup_${mapAddr >>> 0}`;
  if (!ctx.module.hasFunction(fn)) ctx.module.addFunction(fn, [binaryen.i32], binaryen.i32, [binaryen.i32, binaryen.i32, binaryen.i32], hashLookupBody(m, l, 1, () => m.global.get(Names.cpu, binaryen.i32)));
  return m.i64.extend_u(m.call(fn, [m.i32.wrap(ctx.get(2))], binaryen.i32));
}

/**
 * The value address of `key`'s entry in CPU `cpu`'s slot (bpf_map_lookup_percpu_elem, the caller checked
 * cpu < ncpus), or 0: the hash lookup with the CPU as a second parameter.
 */
export function hashLookupOnCpu(ctx: LowerContext, l: HashLayout, key: Expr, cpu: Expr): Expr {
  const { m } = ctx;
  const fn = `hash_lookup_cpu_${l.addr >>> 0}`;
  if (!ctx.module.hasFunction(fn)) ctx.module.addFunction(fn, [binaryen.i32, binaryen.i32], binaryen.i32, [binaryen.i32, binaryen.i32, binaryen.i32], hashLookupBody(m, l, 2, () => m.local.get(1, binaryen.i32)));
  return m.call(fn, [key, cpu], binaryen.i32);
}

/** Body of (key: i32[, cpu: i32]) → value address for `cpu`, or 0; the three i32 locals from `first` are scratch. */
function hashLookupBody(m: IrBuilder, l: HashLayout, first: number, cpu: () => Expr): Expr {
  const i32 = binaryen.i32;
  const H = first;
  const K = first + 1;
  const E = first + 2;
  const key = (): Expr => m.local.get(0, i32);
  const e = (): Expr => m.local.get(E, i32);
  const body: Expr[] = keyHashStatements(m, l, key, H, K);
  const bucketHead = m.i32.add(
    m.i32.const((l.buckets + Bucket.HEAD) | 0),
    m.i32.mul(m.i32.and(m.local.get(H, i32), m.i32.const(l.nBuckets - 1)), m.i32.const(BUCKET_SIZE)),
  );
  body.push(m.local.set(E, m.i32.atomic.load(0, bucketHead)));
  const value = l.perCpu
    ? m.i32.add(m.i32.add(e(), m.i32.const(l.valueOff)), m.i32.mul(cpu(), m.i32.const(l.stride)))
    : m.i32.add(e(), m.i32.const(l.valueOff));
  body.push(m.loop('chain', m.block(null, [
    m.if(m.i32.eqz(e()), m.return(m.i32.const(0))),
    m.if(m.i32.and(m.i32.eq(m.i32.load(HashEntry.HASH, 4, e()), m.local.get(H, i32)), keyEquals(m, l.keySize, e, key)), l.lruOff === 0
      ? m.return(value)
      : m.block(null, [m.drop(m.i32.atomic.rmw.xchg(l.lruOff + LruNode.REF, e(), m.i32.const(1))), m.return(value)])),
    m.local.set(E, m.i32.atomic.load(HashEntry.NEXT, e())),
    m.br('chain'),
  ])));
  body.push(m.unreachable());
  return m.block(null, body, i32);
}
