/**
 * Map helpers besides bpf_map_lookup_elem lowered into wasm, per map (known in the block, or chosen at run
 * time among the program's maps, jit/lower-map-dispatch.ts), with the results of the runtime's helpers
 * (src/vm/helpers/map-helpers.ts over src/vm/maps/):
 *  - bpf_map_update_elem (2) on ARRAY / PERCPU_ARRAY (ArrayMap.update: flags above BPF_EXIST → -EINVAL,
 *    index ≥ max_entries → -E2BIG, BPF_NOEXIST → -EEXIST, BPF_F_LOCK → -EINVAL without a spin lock, else the
 *    value copied into this CPU's slot) and on the hash family (jit/lower-map-hash.ts);
 *  - bpf_map_delete_elem (3): -EINVAL on arrays (ArrayMap.delete), the hash family's delete;
 *  - bpf_map_lookup_percpu_elem (195): a CPU (all 64 bits of r3) ≥ the map's ncpus → NULL, else the lookup
 *    in that CPU's slot, on arrays and the hash family;
 *  - bpf_map_push_elem (87) / bpf_map_peek_elem (89) on a BLOOM_FILTER (jit/lower-map-bloom.ts).
 * Not lowered (the trampoline): maps whose value holds a bpf_spin_lock (copies go around the lock word),
 * HASH_OF_MAPS / DEVMAP_HASH updates, values too large to unroll, and an update whose key or value lies in
 * the map's own storage (the copy could overlap its destination, which TypedArray.set handles and the
 * unrolled copy does not) — that last case is tested at run time.
 */
import binaryen from 'binaryen';
import { Errno } from '../src/vm/maps/errno.js';
import { MapType } from '../src/ebpf/object-spec.js';
import { Names } from './function-builder.js';
import type { Expr, LowerContext } from './lower-context.js';
import { trampolineCall } from './lower-helper-xdp.js';
import { lowerPerMap } from './lower-map-dispatch.js';
import { hashDeleteFunction, hashUpdateFunction } from './lower-map-hash.js';
import { bloomFunction, MAX_BLOOM_VALUE } from './lower-map-bloom.js';
import { copyBytes } from './lower-map-copy.js';
import { hashLookupOnCpu } from './inline-helpers.js';
import { readBloomLayout, readMapLayout, type ArrayLayout, type HashLayout } from './map-layout.js';

const i32 = binaryen.i32;
const i64 = binaryen.i64;

export const MapHelperId = { UPDATE: 2, DELETE: 3, PUSH: 87, PEEK: 89, LOOKUP_PERCPU: 195 } as const;

/** Unrolled copies and zeroing stay below these sizes; larger maps keep the trampoline. */
const MAX_UNROLLED_VALUE = 256;
const MAX_UNROLLED_KEY = 256;
const MAX_ZEROED_SLOTS = 2048;
const BPF_EXIST = 2n;
const BPF_NOEXIST = 1n;
const BPF_F_LOCK = 4n;

/** The lowering of `helperId` at slot `at`, or undefined to keep the trampoline. */
export function lowerMapHelper(ctx: LowerContext, helperId: number, at: number, u32: Uint32Array): Expr | undefined {
  let perMap: ((addr: number) => Expr | undefined) | undefined;
  switch (helperId) {
    case MapHelperId.UPDATE: perMap = (addr) => update(ctx, u32, addr, at); break;
    case MapHelperId.DELETE: perMap = (addr) => remove(ctx, u32, addr); break;
    case MapHelperId.LOOKUP_PERCPU: perMap = (addr) => lookupPercpu(ctx, u32, addr); break;
    case MapHelperId.PUSH: case MapHelperId.PEEK: perMap = (addr) => bloom(ctx, u32, addr, helperId === MapHelperId.PUSH); break;
    default: return undefined;
  }
  return lowerPerMap(ctx, perMap, () => trampolineCall(ctx, helperId, at));
}

/** A sign-extended i32 result as r0. */
function s32(ctx: LowerContext, value: Expr): Expr {
  return ctx.m.i64.extend32_s(ctx.m.i64.extend_u(value));
}

interface WasmFunction { readonly name: string; readonly params: number[]; readonly vars: number[]; readonly body: Expr }

/** Adds the per-map function `name` once (its body built only then). */
function perMapFunction(ctx: LowerContext, name: string, build: () => WasmFunction): string {
  if (!ctx.module.hasFunction(name)) {
    const f = build();
    ctx.module.addFunction(f.name, f.params, i32, f.vars, f.body);
  }
  return name;
}

/** Is [ptr, ptr + size) clear of [start, end)? (i32, unsigned) */
function clearOf(ctx: LowerContext, ptr: Expr, size: number, start: number, end: number): Expr {
  const { m } = ctx;
  const p = ctx.tempI32();
  return m.block(null, [
    m.local.set(p, ptr),
    m.i32.or(m.i32.ge_u(m.local.get(p, i32), m.i32.const(end | 0)), m.i32.le_u(m.i32.add(m.local.get(p, i32), m.i32.const(size)), m.i32.const(start | 0))),
  ], i32);
}

function update(ctx: LowerContext, u32: Uint32Array, addr: number, at: number): Expr | undefined {
  const l = readMapLayout(u32, addr);
  if (l === undefined || l.kind === 'lpm' || l.hasSpinLock || l.valueSize > MAX_UNROLLED_VALUE) return undefined;
  const { m } = ctx;
  let fn: string;
  let safe: Expr;
  if (l.kind === 'array') {
    fn = perMapFunction(ctx, `array_update_${addr >>> 0}`, () => arrayUpdateFunction(ctx, l));
    safe = clearOf(ctx, m.i32.wrap(ctx.get(3)), l.valueSize, l.data, l.data + l.maxEntries * l.ncpus * l.stride);
  } else {
    if (l.type === MapType.HASH_OF_MAPS || l.keySize > MAX_UNROLLED_KEY || (l.perCpu && l.ncpus * l.stride > MAX_ZEROED_SLOTS)) return undefined;
    fn = perMapFunction(ctx, `hash_update_${addr >>> 0}`, () => hashUpdateFunction(m, l));
    const end = l.data + l.maxEntries * l.entrySize;
    safe = m.i32.and(clearOf(ctx, m.i32.wrap(ctx.get(2)), l.keySize, l.data, end), clearOf(ctx, m.i32.wrap(ctx.get(3)), l.valueSize, l.data, end));
  }
  return m.if(safe,
    s32(ctx, m.call(fn, [m.i32.wrap(ctx.get(2)), m.i32.wrap(ctx.get(3)), ctx.get(4)], i32)),
    trampolineCall(ctx, MapHelperId.UPDATE, at));
}

/** ArrayMap.update as `(key: i32, value: i32, flags: i64) → i32`: checkUpdate in the kernel's order, then the copy. */
function arrayUpdateFunction(ctx: LowerContext, l: ArrayLayout): WasmFunction {
  const { m } = ctx;
  const key = (): Expr => m.local.get(0, i32);
  const value = (): Expr => m.local.get(1, i32);
  const flags = (): Expr => m.local.get(2, i64);
  const IDX = 3;
  const DST = 4;
  const idx = (): Expr => m.local.get(IDX, i32);
  const ret = (errno: number): Expr => m.return(m.i32.const(-errno));
  const slot = l.perCpu ? m.i32.add(m.i32.mul(idx(), m.i32.const(l.ncpus)), m.global.get(Names.cpu, i32)) : idx();
  return {
    name: `array_update_${l.addr >>> 0}`, params: [i32, i32, i64], vars: [i32, i32],
    body: m.block(null, [
      m.local.set(IDX, m.i32.load(0, 1, key())),
      m.if(m.i64.gt_u(m.i64.and(flags(), m.i64.const(~BPF_F_LOCK)), m.i64.const(BPF_EXIST)), ret(Errno.EINVAL)),
      m.if(m.i32.ge_u(idx(), m.i32.const(l.maxEntries)), ret(Errno.E2BIG)),
      m.if(m.i64.ne(m.i64.and(flags(), m.i64.const(BPF_NOEXIST)), m.i64.const(0n)), ret(Errno.EEXIST)),
      // No bpf_spin_lock in the value (else not lowered): BPF_F_LOCK is -EINVAL.
      m.if(m.i64.ne(m.i64.and(flags(), m.i64.const(BPF_F_LOCK)), m.i64.const(0n)), ret(Errno.EINVAL)),
      m.local.set(DST, m.i32.add(m.i32.const(l.data | 0), m.i32.mul(slot, m.i32.const(l.stride)))),
      ...copyBytes(m, () => m.local.get(DST, i32), 0, value, 0, l.valueSize),
      m.i32.const(0),
    ], i32),
  };
}

function remove(ctx: LowerContext, u32: Uint32Array, addr: number): Expr | undefined {
  const l = readMapLayout(u32, addr);
  if (l === undefined || l.kind === 'lpm') return undefined;
  const { m } = ctx;
  if (l.kind === 'array') return m.i64.const(BigInt(-Errno.EINVAL));
  if (l.type === MapType.HASH_OF_MAPS || l.keySize > MAX_UNROLLED_KEY) return undefined;
  const fn = perMapFunction(ctx, `hash_delete_${addr >>> 0}`, () => hashDeleteFunction(m, l));
  return s32(ctx, m.call(fn, [m.i32.wrap(ctx.get(2))], i32));
}

function lookupPercpu(ctx: LowerContext, u32: Uint32Array, addr: number): Expr | undefined {
  const l = readMapLayout(u32, addr);
  if (l === undefined || l.kind === 'lpm') return undefined;
  if (l.kind === 'hash' && (l.type === MapType.HASH_OF_MAPS || l.keySize > MAX_UNROLLED_KEY)) return undefined;
  const { m } = ctx;
  const cpu = ctx.tempI32();
  const inRange = m.i64.lt_u(ctx.get(3), m.i64.const(BigInt(l.ncpus)));
  let found: Expr;
  if (l.kind === 'array') {
    // ArrayMap.lookup(key, cpu): this CPU's slot of a per-CPU array, the one slot of a shared one.
    const idx = ctx.tempI32();
    const slot = l.perCpu ? m.i32.add(m.i32.mul(m.local.get(idx, i32), m.i32.const(l.ncpus)), m.local.get(cpu, i32)) : m.local.get(idx, i32);
    found = m.block(null, [
      m.local.set(idx, m.i32.load(0, 1, m.i32.wrap(ctx.get(2)))),
      m.select(m.i32.lt_u(m.local.get(idx, i32), m.i32.const(l.maxEntries)),
        m.i32.add(m.i32.const(l.data | 0), m.i32.mul(slot, m.i32.const(l.stride))), m.i32.const(0)),
    ], i32);
  } else {
    found = hashLookupOnCpu(ctx, l as HashLayout, m.i32.wrap(ctx.get(2)), m.local.get(cpu, i32));
  }
  return m.i64.extend_u(m.if(inRange, m.block(null, [m.local.set(cpu, m.i32.wrap(ctx.get(3))), found], i32), m.i32.const(0)));
}

function bloom(ctx: LowerContext, u32: Uint32Array, addr: number, push: boolean): Expr | undefined {
  const l = readBloomLayout(u32, addr);
  if (l === undefined || l.valueSize > MAX_BLOOM_VALUE) return undefined;
  const { m } = ctx;
  const fn = perMapFunction(ctx, `bloom_${push ? 'push' : 'peek'}_${addr >>> 0}`, () => bloomFunction(m, l, push));
  const call = s32(ctx, m.call(fn, [m.i32.wrap(ctx.get(2))], i32));
  // BloomFilterMap.push: flags (all 64 bits of r3) other than BPF_ANY → -EINVAL.
  return push ? m.if(m.i64.eqz(ctx.get(3)), call, m.i64.const(BigInt(-Errno.EINVAL))) : call;
}
