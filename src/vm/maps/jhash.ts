/**
 * The kernel's jhash (include/linux/jhash.h, Bob Jenkins' lookup3): the hash BPF_MAP_TYPE_BLOOM_FILTER uses
 * to pick its bits (kernel/bpf/bloom_filter.c hash(): jhash2 over u32 words when value_size % 4 == 0, else
 * jhash over bytes — the two agree on little-endian word data, so one byte-wise function serves both).
 * With BPF_F_ZERO_SEED the seed is 0 and a bloom filter's bits are the kernel's exactly.
 */
const JHASH_INITVAL = 0xdeadbeef;

const rol32 = (x: number, s: number): number => ((x << s) | (x >>> (32 - s))) >>> 0;

const word = (u8: Uint8Array, p: number): number => (u8[p]! | (u8[p + 1]! << 8) | (u8[p + 2]! << 16) | (u8[p + 3]! << 24)) >>> 0;

/** The little-endian word of the first min(n, 4) bytes at p (0 when n ≤ 0). No allocation: it runs per packet. */
function tailWord(u8: Uint8Array, p: number, n: number): number {
  let w = 0;
  for (let i = 0; i < n && i < 4; i++) w |= u8[p + i]! << (8 * i);
  return w >>> 0;
}

export function jhash(u8: Uint8Array, off: number, length: number, initval: number): number {
  let a = (JHASH_INITVAL + length + initval) >>> 0;
  let b = a;
  let c = a;
  let p = off;
  let len = length;
  while (len > 12) {
    a = (a + word(u8, p)) >>> 0;
    b = (b + word(u8, p + 4)) >>> 0;
    c = (c + word(u8, p + 8)) >>> 0;
    // __jhash_mix
    a = (a - c) >>> 0; a ^= rol32(c, 4); a >>>= 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b ^= rol32(a, 6); b >>>= 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c ^= rol32(b, 8); c >>>= 0; b = (b + a) >>> 0;
    a = (a - c) >>> 0; a ^= rol32(c, 16); a >>>= 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b ^= rol32(a, 19); b >>>= 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c ^= rol32(b, 4); c >>>= 0; b = (b + a) >>> 0;
    len -= 12;
    p += 12;
  }
  if (len === 0) return c;
  // The tail: up to 12 bytes added little-endian into a, b, c (the kernel's fall-through switch).
  a = (a + tailWord(u8, p, len)) >>> 0;
  b = (b + tailWord(u8, p + 4, len - 4)) >>> 0;
  c = (c + tailWord(u8, p + 8, len - 8)) >>> 0;
  // __jhash_final
  c ^= b; c = (c - rol32(b, 14)) >>> 0;
  a ^= c; a = (a - rol32(c, 11)) >>> 0;
  b ^= a; b = (b - rol32(a, 25)) >>> 0;
  c ^= b; c = (c - rol32(b, 16)) >>> 0;
  a ^= c; a = (a - rol32(c, 4)) >>> 0;
  b ^= a; b = (b - rol32(a, 14)) >>> 0;
  c ^= b; c = (c - rol32(b, 24)) >>> 0;
  return c;
}
