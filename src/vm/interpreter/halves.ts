/**
 * The interpreter's out-of-line 64-bit operations on a register file of 32-bit halves (RegHalves: r[d] low
 * word, r[d + 1] high word): divisions and modulo, which fall back to BigInt when a high word is set, and
 * byte swaps. Each function reads the destination, combines it with the operand (blo, bhi: unsigned 32-bit
 * words) and writes the result back. The frequent operations are written out in the interpreter's loop.
 */

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

export const bswap16 = (v: number): number => ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
export const bswap32 = (v: number): number =>
  (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
