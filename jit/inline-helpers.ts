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
 *  - the XDP helpers of jit/lower-helper-xdp.ts (redirect, redirect_map, adjust_head/meta/tail, buff_len,
 *    load/store_bytes) and the QUEUE / STACK helpers of jit/lower-helper-queue.ts (push, pop, peek);
 *  - lookups in an ARRAY_OF_MAPS, and in a map known only at run time (jit/lower-helper-map.ts).
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

/** Inline helpers specialised on the maps whose headers `u32` (a view of the arena) holds. */
export function createInlineHelpers(u32: Uint32Array): InlineHelper {
  return (ctx, helperId, at) => {
    if (helperId === HelperId.GET_SMP_PROCESSOR_ID) return ctx.m.i64.extend_u(ctx.m.global.get(Names.cpu, binaryen.i32));
    if (helperId !== HelperId.MAP_LOOKUP_ELEM) return lowerXdpHelper(ctx, helperId, at, u32) ?? lowerQueueHelper(ctx, helperId, u32) ?? lowerCallbackHelper(ctx, helperId, at, u32) ?? lowerRuntimeHelper(ctx, helperId, at, u32);
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
  if (!ctx.module.hasFunction(fn)) ctx.module.addFunction(fn, [binaryen.i32], binaryen.i32, [binaryen.i32, binaryen.i32, binaryen.i32], hashLookupBody(m, l));
  return m.i64.extend_u(m.call(fn, [m.i32.wrap(ctx.get(2))], binaryen.i32));
}

const C1 = 0xcc9e2d51 | 0;
const C2 = 0x1b873593 | 0;

/** Body of (key: i32) → value address for this CPU, or 0; locals 1..3 are i32 scratch. */
function hashLookupBody(m: IrBuilder, l: HashLayout): Expr {
  const i32 = binaryen.i32;
  const KEY = 0;
  const H = 1;
  const K = 2;
  const E = 3;
  const key = (): Expr => m.local.get(KEY, i32);
  const h = (): Expr => m.local.get(H, i32);
  const k = (): Expr => m.local.get(K, i32);
  const e = (): Expr => m.local.get(E, i32);
  const mixK = (): Expr[] => [
    m.local.set(K, m.i32.mul(k(), m.i32.const(C1))),
    m.local.set(K, m.i32.rotl(k(), m.i32.const(15))),
    m.local.set(K, m.i32.mul(k(), m.i32.const(C2))),
    m.local.set(H, m.i32.xor(h(), k())),
  ];
  // MurmurHash3 x86_32 over key_size bytes, unrolled (key-hash.ts).
  const body: Expr[] = [m.local.set(H, m.i32.const(l.seed | 0))];
  const words = l.keySize >>> 2;
  for (let w = 0; w < words; w++) {
    body.push(m.local.set(K, m.i32.load(w * 4, 1, key())), ...mixK());
    body.push(m.local.set(H, m.i32.rotl(h(), m.i32.const(13))));
    body.push(m.local.set(H, m.i32.add(m.i32.mul(h(), m.i32.const(5)), m.i32.const(0xe6546b64 | 0))));
  }
  const rem = l.keySize & 3;
  if (rem !== 0) {
    const base = words * 4;
    let tail: Expr = m.i32.load8_u(base, 1, key());
    if (rem >= 2) tail = m.i32.xor(tail, m.i32.shl(m.i32.load8_u(base + 1, 1, key()), m.i32.const(8)));
    if (rem === 3) tail = m.i32.xor(tail, m.i32.shl(m.i32.load8_u(base + 2, 1, key()), m.i32.const(16)));
    body.push(m.local.set(K, tail), ...mixK());
  }
  body.push(
    m.local.set(H, m.i32.xor(h(), m.i32.const(l.keySize))),
    m.local.set(H, m.i32.xor(h(), m.i32.shr_u(h(), m.i32.const(16)))),
    m.local.set(H, m.i32.mul(h(), m.i32.const(0x85ebca6b | 0))),
    m.local.set(H, m.i32.xor(h(), m.i32.shr_u(h(), m.i32.const(13)))),
    m.local.set(H, m.i32.mul(h(), m.i32.const(0xc2b2ae35 | 0))),
    m.local.set(H, m.i32.xor(h(), m.i32.shr_u(h(), m.i32.const(16)))),
  );
  const bucketHead = m.i32.add(
    m.i32.const((l.buckets + Bucket.HEAD) | 0),
    m.i32.mul(m.i32.and(h(), m.i32.const(l.nBuckets - 1)), m.i32.const(BUCKET_SIZE)),
  );
  body.push(m.local.set(E, m.i32.atomic.load(0, bucketHead)));
  const value = l.perCpu
    ? m.i32.add(m.i32.add(e(), m.i32.const(l.valueOff)), m.i32.mul(m.global.get(Names.cpu, i32), m.i32.const(l.stride)))
    : m.i32.add(e(), m.i32.const(l.valueOff));
  body.push(m.loop('chain', m.block(null, [
    m.if(m.i32.eqz(e()), m.return(m.i32.const(0))),
    m.if(m.i32.and(m.i32.eq(m.i32.load(HashEntry.HASH, 4, e()), h()), keyEquals(m, l.keySize, e, key)), l.lruOff === 0
      ? m.return(value)
      : m.block(null, [m.drop(m.i32.atomic.rmw.xchg(l.lruOff + LruNode.REF, e(), m.i32.const(1))), m.return(value)])),
    m.local.set(E, m.i32.atomic.load(HashEntry.NEXT, e())),
    m.br('chain'),
  ])));
  body.push(m.unreachable());
  return m.block(null, body, i32);
}

/** Bytewise equality of the entry's key (at entry + 8) and the program's key, in 8/4/2/1-byte pieces. */
function keyEquals(m: IrBuilder, size: number, entry: () => Expr, key: () => Expr): Expr {
  const parts: Expr[] = [];
  let off = 0;
  for (const [width, load] of [
    [8, (o: number, p: Expr) => m.i64.load(o, 1, p)],
    [4, (o: number, p: Expr) => m.i32.load(o, 1, p)],
    [2, (o: number, p: Expr) => m.i32.load16_u(o, 1, p)],
    [1, (o: number, p: Expr) => m.i32.load8_u(o, 1, p)],
  ] as const) {
    while (size - off >= width) {
      const a = load(HashEntry.KEY + off, entry());
      const b = load(off, key());
      parts.push(width === 8 ? m.i64.eq(a, b) : m.i32.eq(a, b));
      off += width;
    }
  }
  return parts.reduce((acc, p) => m.i32.and(acc, p));
}
