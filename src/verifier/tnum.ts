/**
 * Tristate numbers (kernel/bpf/tnum.c): a 64-bit value where each bit is 0, 1 or unknown.
 * `value` holds the known-1 bits, `mask` the unknown bits; value & mask = 0 always. All operations
 * over-approximate: every concrete result of the operation on members of the inputs is a member of
 * the output.
 */
export const U64 = (1n << 64n) - 1n;
export const U32 = (1n << 32n) - 1n;

export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

const u64 = (x: bigint): bigint => x & U64;

export const tnumConst = (v: bigint): Tnum => ({ value: u64(v), mask: 0n });
export const TNUM_UNKNOWN: Tnum = Object.freeze({ value: 0n, mask: U64 });

export const tnumIsConst = (a: Tnum): boolean => a.mask === 0n;

/** Number of significant bits of a non-negative value (fls64), without formatting it as a string. */
function bitLength(x: bigint): number {
  if (x === 0n) return 0;
  if (x < 0n || x > U64) return x.toString(2).length;
  const hi = Number(x >> 32n);
  return hi !== 0 ? 64 - Math.clz32(hi) : 32 - Math.clz32(Number(x));
}

/** Smallest tnum covering [min, max] (unsigned): the common high-bit prefix is known. */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  const bits = bitLength(chi);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return { value: min & ~delta & U64, mask: delta };
}

export const tnumLshift = (a: Tnum, s: number): Tnum => ({ value: u64(a.value << BigInt(s)), mask: u64(a.mask << BigInt(s)) });
export const tnumRshift = (a: Tnum, s: number): Tnum => ({ value: a.value >> BigInt(s), mask: a.mask >> BigInt(s) });

/** Arithmetic right shift at width 32 or 64: the sign bit (known or unknown) is replicated. */
export function tnumArshift(a: Tnum, s: number, width: 32 | 64): Tnum {
  const w = BigInt(width);
  const m = (1n << w) - 1n;
  const sx = (x: bigint): bigint => BigInt.asIntN(width, x & m);
  return { value: (sx(a.value) >> BigInt(s)) & m, mask: (sx(a.mask) >> BigInt(s)) & m };
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & ~mu & U64, mask: mu };
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return { value: dv & ~mu & U64, mask: mu };
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v & U64 };
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & ~v & U64 };
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

/**
 * Long multiplication over the known and unknown bits, as the kernel's tnum_mul. The partial-product
 * accumulator is kept in locals (this runs for every multiply of a hash, up to 64 rounds); adding a zero
 * mask leaves it unchanged, so such rounds, and all rounds once `b` has shifted out, are skipped.
 */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  let av = a.value;
  let am = a.mask;
  let bv = b.value;
  let bm = b.mask;
  const accV = u64(av * bv);
  let mv = 0n;
  let mm = 0n;
  while ((av !== 0n || am !== 0n) && (bv !== 0n || bm !== 0n)) {
    const add = (av & 1n) !== 0n ? bm : (am & 1n) !== 0n ? bv | bm : 0n;
    if (add !== 0n) {
      // tnumAdd({ mv, mm }, { 0, add })
      const sm = u64(mm + add);
      const chi = u64(sm + mv) ^ mv;
      const mu = chi | mm | add;
      mv = mv & ~mu & U64;
      mm = mu;
    }
    av >>= 1n;
    am >>= 1n;
    bv = u64(bv << 1n);
    bm = u64(bm << 1n);
  }
  return tnumAdd({ value: accV, mask: 0n }, { value: mv, mask: mm });
}

/** Values that are members of both a and b (a and b are both known to hold the same value). */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

/** Bits that disagree where both are known: no value is a member of both. */
export const tnumDisjoint = (a: Tnum, b: Tnum): boolean => ((a.value ^ b.value) & ~(a.mask | b.mask) & U64) !== 0n;

export const tnumCast = (a: Tnum, bytes: number): Tnum => {
  const m = (1n << BigInt(bytes * 8)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
};
export const tnumSubreg = (a: Tnum): Tnum => tnumCast(a, 4);
export const tnumClearSubreg = (a: Tnum): Tnum => ({ value: a.value & ~U32 & U64, mask: a.mask & ~U32 & U64 });
export const tnumWithSubreg = (a: Tnum, sub: Tnum): Tnum => tnumOr(tnumClearSubreg(a), tnumSubreg(sub));

/** b ⊆ a: every value b can hold, a can hold. */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if ((b.mask & ~a.mask) !== 0n) return false;
  return a.value === (b.value & ~a.mask);
}

/** Kernel log syntax: a constant in hex, otherwise (value; mask). */
export const tnumString = (a: Tnum): string =>
  a.mask === 0n ? `0x${a.value.toString(16)}` : `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
