/**
 * 64-bit arithmetic on a register file of 32-bit halves (RegHalves: r[d] low word, r[d + 1] high word).
 * Each function reads the destination, combines it with the operand (blo, bhi: unsigned 32-bit words) and
 * writes the result back; Uint32Array stores wrap modulo 2^32, which provides the carries' truncation.
 * The rare, expensive operations (64-bit division with a high word set) fall back to BigInt.
 */

/** Low 64 bits of the product (RFC 9669 §4.1 MUL: wraps). The 32×32 low-word product is split in 16-bit parts to stay exact. */
export function mul64(r: Uint32Array, d: number, blo: number, bhi: number): void {
  const alo = r[d]!;
  const ahi = r[d + 1]!;
  const a0 = alo & 0xffff, a1 = alo >>> 16, b0 = blo & 0xffff, b1 = blo >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  r[d] = ((mid & 0xffff) << 16) | (p00 & 0xffff);
  r[d + 1] = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(alo, bhi) + Math.imul(ahi, blo);
}

export const toBig = (lo: number, hi: number): bigint => (BigInt(hi) << 32n) | BigInt(lo);

export function setBig(r: Uint32Array, d: number, v: bigint): void {
  r[d] = Number(v & 0xffffffffn);
  r[d + 1] = Number((v >> 32n) & 0xffffffffn);
}

/** Unsigned division; a zero divisor yields 0 (RFC 9669 §4.1). */
export function div64(r: Uint32Array, d: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    r[d] = 0;
    r[d + 1] = 0;
  } else if (bhi === 0 && r[d + 1] === 0) {
    r[d] = Math.floor(r[d]! / blo);
  } else {
    setBig(r, d, toBig(r[d]!, r[d + 1]!) / toBig(blo, bhi));
  }
}

/** Unsigned modulo; a zero divisor leaves the dividend. */
export function mod64(r: Uint32Array, d: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) return;
  if (bhi === 0 && r[d + 1] === 0) r[d] = r[d]! % blo;
  else setBig(r, d, toBig(r[d]!, r[d + 1]!) % toBig(blo, bhi));
}

/** Signed division (v4 SDIV), truncating; INT64_MIN / -1 wraps to INT64_MIN. */
export function sdiv64(r: Uint32Array, d: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    r[d] = 0;
    r[d + 1] = 0;
    return;
  }
  setBig(r, d, BigInt.asUintN(64, BigInt.asIntN(64, toBig(r[d]!, r[d + 1]!)) / BigInt.asIntN(64, toBig(blo, bhi))));
}

/** Signed modulo (v4 SMOD): result has the dividend's sign; a zero divisor leaves the dividend. */
export function smod64(r: Uint32Array, d: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) return;
  setBig(r, d, BigInt.asUintN(64, BigInt.asIntN(64, toBig(r[d]!, r[d + 1]!)) % BigInt.asIntN(64, toBig(blo, bhi))));
}

export function neg64(r: Uint32Array, d: number): void {
  const lo = r[d]!;
  r[d] = -lo;
  r[d + 1] = ~r[d + 1]! + (lo === 0 ? 1 : 0);
}

export const bswap16 = (v: number): number => ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
export const bswap32 = (v: number): number =>
  (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
