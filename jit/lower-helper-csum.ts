/**
 * bpf_csum_diff (28) in wasm, bit-exact with src/vm/helpers/csum.ts (net/core/filter.c since "bpf:
 * bpf_csum_diff: optimize and homogenize for all archs"): sizes not multiples of 4, or together above the
 * 512-byte scratch pad, → -EINVAL; otherwise csum_partial of `to` seeded with the seed, plus the complement of
 * csum_partial of `from`, folded to 16 bits (csum_from32to16), not complemented.
 *
 * csum_partial here sums the little-endian u32 words in an i64 and folds the carries back twice at the end,
 * where csum.ts adds with an end-around carry at every word: one's-complement addition is associative, and
 * both leave the representative of the sum modulo 2^32 - 1 in [1, 2^32 - 1] unless every term is 0 (then
 * 0), so the two agree bit for bit (at most 128 words + seed: below 2^40, two folds suffice).
 *
 * A hardened module keeps the trampoline: there the runtime checks each memory argument lies inside one
 * object the program may touch before the helper reads it (jit/harden-helper-args.ts).
 */
import binaryen from 'binaryen';
import { Errno } from '../src/vm/maps/errno.js';
import type { Expr, LowerContext } from './lower-context.js';
import type { IrBuilder } from './ir-builder.js';

export const CSUM_DIFF = 28;
/** The per-CPU scratch pad the kernel sums through (csum.ts SCRATCH_BYTES). */
const SCRATCH_BYTES = 512;
const CSUM_PARTIAL = 'csum_partial';

const i32 = binaryen.i32;
const i64 = binaryen.i64;

/** bpf_csum_diff's r0, or undefined for another helper or in a hardened module. */
export function lowerCsumHelper(ctx: LowerContext, helperId: number): Expr | undefined {
  if (helperId !== CSUM_DIFF || ctx.hardened) return undefined;
  const { m } = ctx;
  if (!ctx.module.hasFunction(CSUM_PARTIAL)) ctx.module.addFunction(CSUM_PARTIAL, [i32, i32, i32], i32, [i64, i32], csumPartialBody(m));
  const from = ctx.tempI32();
  const fromSize = ctx.tempI32();
  const to = ctx.tempI32();
  const toSize = ctx.tempI32();
  const seed = ctx.tempI32();
  const ret = ctx.tempI32();
  const l = (x: number): Expr => m.local.get(x, i32);
  const partial = (addr: Expr, len: Expr, s: Expr): Expr => m.call(CSUM_PARTIAL, [addr, len, s], i32);
  const not = (x: Expr): Expr => m.i32.xor(x, m.i32.const(-1));
  const bad = m.i32.or(
    m.i32.ne(m.i32.and(m.i32.or(l(fromSize), l(toSize)), m.i32.const(3)), m.i32.const(0)),
    m.i64.gt_u(m.i64.add(m.i64.extend_u(l(fromSize)), m.i64.extend_u(l(toSize))), m.i64.const(BigInt(SCRATCH_BYTES))));
  const sum = m.if(m.i32.and(m.i32.ne(l(fromSize), m.i32.const(0)), m.i32.ne(l(toSize), m.i32.const(0))),
    m.local.set(ret, csumAdd(m, ctx.tempI64(), partial(l(to), l(toSize), l(seed)), not(partial(l(from), l(fromSize), m.i32.const(0))))),
    m.if(l(toSize),
      m.local.set(ret, partial(l(to), l(toSize), l(seed))),
      m.local.set(ret, m.if(l(fromSize), not(partial(l(from), l(fromSize), not(l(seed)))), l(seed)))));
  // csum_from32to16: the high half of x + ror(x, 16).
  const fold16 = m.i32.shr_u(m.i32.add(l(ret), m.i32.rotr(l(ret), m.i32.const(16))), m.i32.const(16));
  return m.block(null, [
    m.local.set(from, m.i32.wrap(ctx.get(1))),
    m.local.set(fromSize, m.i32.wrap(ctx.get(2))),
    m.local.set(to, m.i32.wrap(ctx.get(3))),
    m.local.set(toSize, m.i32.wrap(ctx.get(4))),
    m.local.set(seed, m.i32.wrap(ctx.get(5))),
    m.if(bad, m.i64.const(BigInt(-Errno.EINVAL)), m.block(null, [sum, m.i64.extend_u(fold16)], i64)),
  ], i64);
}

/** csum_add: 32-bit one's-complement addition (the carry out added back in); `t` is i64 scratch. */
function csumAdd(m: IrBuilder, t: number, a: Expr, b: Expr): Expr {
  return m.block(null, [
    m.local.set(t, m.i64.add(m.i64.extend_u(a), m.i64.extend_u(b))),
    m.i32.wrap(fold(m, () => m.local.get(t, i64))),
  ], i32);
}

/** (s & 0xffffffff) + (s >> 32): one end-around carry fold of an i64 sum. */
function fold(m: IrBuilder, s: () => Expr): Expr {
  return m.i64.add(m.i64.and(s(), m.i64.const(0xffffffffn)), m.i64.shr_u(s(), m.i64.const(32n)));
}

/** (addr, len, seed) → csum_partial (csum.ts csumPartial; len a multiple of 4, at most 512). */
function csumPartialBody(m: IrBuilder): Expr {
  const ADDR = 0, LEN = 1, SEED = 2, SUM = 3, P = 4;
  const p = (): Expr => m.local.get(P, i32);
  const sum = (): Expr => m.local.get(SUM, i64);
  const end = (): Expr => m.i32.add(m.local.get(ADDR, i32), m.local.get(LEN, i32));
  return m.block(null, [
    m.local.set(SUM, m.i64.extend_u(m.local.get(SEED, i32))),
    m.local.set(P, m.local.get(ADDR, i32)),
    m.loop('words', m.if(m.i32.lt_u(p(), end()), m.block(null, [
      m.local.set(SUM, m.i64.add(sum(), m.i64.extend_u(m.i32.load(0, 1, p())))),
      m.local.set(P, m.i32.add(p(), m.i32.const(4))),
      m.br('words'),
    ]))),
    m.local.set(SUM, fold(m, sum)),
    m.i32.wrap(fold(m, sum)),
  ], i32);
}
