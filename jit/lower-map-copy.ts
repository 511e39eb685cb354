/**
 * Unrolled byte copies and fills for the map lowerings (value and key copies of a known size): 8-byte
 * pieces, then 4, 2, 1. The callers make sure source and destination never overlap (a map update whose key
 * or value lies in the map's own storage takes the trampoline, jit/lower-map-update.ts), so the order of the
 * pieces does not matter, as it does not for TypedArray.set between disjoint ranges.
 */
import type { Expr } from './lower-context.js';
import type { IrBuilder } from './ir-builder.js';

/** Statements copying `size` bytes from `src` + srcOff to `dst` + dstOff. */
export function copyBytes(m: IrBuilder, dst: () => Expr, dstOff: number, src: () => Expr, srcOff: number, size: number): Expr[] {
  const out: Expr[] = [];
  let off = 0;
  for (; size - off >= 8; off += 8) out.push(m.i64.store(dstOff + off, 1, dst(), m.i64.load(srcOff + off, 1, src())));
  if (size - off >= 4) { out.push(m.i32.store(dstOff + off, 1, dst(), m.i32.load(srcOff + off, 1, src()))); off += 4; }
  if (size - off >= 2) { out.push(m.i64.store16(dstOff + off, 1, dst(), m.i64.load16_u(srcOff + off, 1, src()))); off += 2; }
  if (size - off >= 1) out.push(m.i64.store8(dstOff + off, 1, dst(), m.i64.load8_u(srcOff + off, 1, src())));
  return out;
}

/** Statements zeroing `size` bytes (a multiple of 8) at `dst` + dstOff. */
export function zeroBytes(m: IrBuilder, dst: () => Expr, dstOff: number, size: number): Expr[] {
  const out: Expr[] = [];
  for (let off = 0; off < size; off += 8) out.push(m.i64.store(dstOff + off, 8, dst(), m.i64.const(0n)));
  return out;
}
