/**
 * Byte swaps for BPF_END (RFC 9669 §4.2). Wasm has no bswap instruction; these are the usual rotate-and-mask
 * forms, which V8's TurboFan pattern-matches well enough on x64.
 */
import binaryen from 'binaryen';
import type { Expr, LowerContext } from './lower-context.js';

/** bswap16 of the low 16 bits of an i32, result zero-extended. */
function bswap16(ctx: LowerContext, x: number): Expr {
  const { m } = ctx;
  const v = () => m.local.get(x, binaryen.i32);
  return m.i32.or(m.i32.shl(m.i32.and(v(), m.i32.const(0xff)), m.i32.const(8)), m.i32.and(m.i32.shr_u(v(), m.i32.const(8)), m.i32.const(0xff)));
}

/** bswap32 of an i32 local. */
function bswap32(ctx: LowerContext, x: number): Expr {
  const { m } = ctx;
  const v = () => m.local.get(x, binaryen.i32);
  return m.i32.or(
    m.i32.and(m.i32.rotl(v(), m.i32.const(8)), m.i32.const(0x00ff00ff)),
    m.i32.and(m.i32.rotr(v(), m.i32.const(8)), m.i32.const(0xff00ff00 | 0)),
  );
}

/** The i64 result of swapping the low `width` bits of `value` (i64), upper bits zero (width < 64). */
export function byteSwap(ctx: LowerContext, value: Expr, width: 16 | 32 | 64): Expr {
  const { m } = ctx;
  if (width === 64) {
    const t = ctx.tempI64();
    const lo = ctx.tempI32();
    const hi = ctx.tempI32();
    return m.block(null, [
      m.local.set(t, value),
      m.local.set(lo, m.i32.wrap(m.local.get(t, binaryen.i64))),
      m.local.set(hi, m.i32.wrap(m.i64.shr_u(m.local.get(t, binaryen.i64), m.i64.const(32n)))),
      m.i64.or(
        m.i64.shl(m.i64.extend_u(bswap32(ctx, lo)), m.i64.const(32n)),
        m.i64.extend_u(bswap32(ctx, hi)),
      ),
    ], binaryen.i64);
  }
  const x = ctx.tempI32();
  const swapped = width === 16 ? bswap16(ctx, x) : bswap32(ctx, x);
  return m.block(null, [m.local.set(x, m.i32.wrap(value)), m.i64.extend_u(swapped)], binaryen.i64);
}
