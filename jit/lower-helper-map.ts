/**
 * bpf_map_lookup_elem cases jit/inline-helpers.ts leaves to the trampoline, lowered in wasm:
 *  - an ARRAY_OF_MAPS known at compile time (src/vm/maps/slot-array.ts): an index below max_entries whose
 *    presence word is set gives the inner map's header address stored in the slot, else NULL
 *    (SlotArrayMap.lookup → word); a HASH_OF_MAPS: the hash walk of inline-helpers.ts over
 *    src/vm/maps/hash.ts, then the inner map's address the entry's value holds (HashMap.lookup);
 *  - a map NOT known at compile time (an inner map out of a map-in-map lookup, a call site several maps
 *    reach): the verifier proved r1 a map pointer, so its header's type is read at run time; ARRAY and
 *    PERCPU_ARRAY are address arithmetic over src/vm/maps/array.ts (ArrayMap.lookup: index < max_entries →
 *    data + (index * ncpus + cpu) * stride, this CPU's slot for a per-CPU map), any other type calls the
 *    runtime's helper through the trampoline.
 */
import binaryen from 'binaryen';
import { MapType } from '../src/ebpf/object-spec.js';
import { MapHdr } from '../src/vm/maps/map-header.js';
import { hashLookup } from './inline-helpers.js';
import { readHashLayout } from './map-layout.js';
import { SlotArrayHdr } from '../src/vm/maps/slot-array.js';
import { Names } from './function-builder.js';
import type { Expr, LowerContext } from './lower-context.js';
import { trampolineCall } from './lower-helper-xdp.js';
import { HelperId } from './module-abi.js';

const i32 = binaryen.i32;
const i64 = binaryen.i64;

/** ARRAY_OF_MAPS / HASH_OF_MAPS at `mapAddr` (known at compile time), or undefined for other map types. */
export function lowerMapOfMapsLookup(ctx: LowerContext, mapAddr: number, u32: Uint32Array): Expr | undefined {
  if (mapAddr % 4 !== 0) return undefined;
  const hdr = (off: number): number => u32[(mapAddr + off) >>> 2]!;
  const { m } = ctx;
  if (hdr(MapHdr.TYPE) === MapType.HASH_OF_MAPS) {
    // HashMap.lookup: the entry's value is the inner map's header address, and that is what a lookup returns.
    const layout = readHashLayout(u32, mapAddr)!;
    const value = ctx.tempI32();
    return m.block(null, [
      m.local.set(value, m.i32.wrap(hashLookup(ctx, layout, mapAddr))),
      m.i64.extend_u(m.if(m.local.get(value, i32), m.i32.load(0, 4, m.local.get(value, i32)), m.i32.const(0))),
    ], i64);
  }
  if (hdr(MapHdr.TYPE) !== MapType.ARRAY_OF_MAPS) return undefined;
  const idx = ctx.tempI32();
  const index = (): Expr => m.local.get(idx, i32);
  return m.block(null, [
    m.local.set(idx, m.i32.load(0, 1, m.i32.wrap(ctx.get(2)))),
    m.i64.extend_u(m.if(m.i32.lt_u(index(), m.i32.const(hdr(MapHdr.MAX_ENTRIES) | 0)),
      m.if(m.i32.atomic.load(0, m.i32.add(m.i32.const(hdr(SlotArrayHdr.PRESENT) | 0), m.i32.shl(index(), m.i32.const(2)))),
        m.i32.load(0, 4, m.i32.add(m.i32.const(hdr(MapHdr.DATA) | 0), m.i32.mul(index(), m.i32.const(hdr(MapHdr.VALUE_STRIDE) | 0)))),
        m.i32.const(0)),
      m.i32.const(0))),
  ], i64);
}

/** A lookup whose map is only known at run time: arrays in wasm, the rest through the trampoline. */
export function lowerDynamicLookup(ctx: LowerContext, at: number): Expr {
  const { m } = ctx;
  const map = ctx.tempI32();
  const type = ctx.tempI32();
  const idx = ctx.tempI32();
  const r0 = ctx.tempI64();
  const field = (off: number): Expr => m.i32.load(off, 4, m.local.get(map, i32));
  const index = (): Expr => m.local.get(idx, i32);
  const isType = (t: number): Expr => m.i32.eq(m.local.get(type, i32), m.i32.const(t));
  const cpuTerm = m.select(isType(MapType.PERCPU_ARRAY), m.global.get(Names.cpu, i32), m.i32.const(0));
  const arrayLookup = m.block(null, [
    m.local.set(idx, m.i32.load(0, 1, m.i32.wrap(ctx.get(2)))),
    m.local.set(r0, m.i64.extend_u(m.if(m.i32.lt_u(index(), field(MapHdr.MAX_ENTRIES)),
      m.i32.add(field(MapHdr.DATA), m.i32.mul(m.i32.add(m.i32.mul(index(), field(MapHdr.NCPUS)), cpuTerm), field(MapHdr.VALUE_STRIDE))),
      m.i32.const(0)))),
  ]);
  return m.block(null, [
    m.local.set(map, m.i32.wrap(ctx.get(1))),
    m.local.set(type, field(MapHdr.TYPE)),
    m.if(m.i32.or(isType(MapType.ARRAY), isType(MapType.PERCPU_ARRAY)),
      arrayLookup,
      m.local.set(r0, trampolineCall(ctx, HelperId.MAP_LOOKUP_ELEM, at))),
    m.local.get(r0, i64),
  ], i64);
}
