/** A seeded PRNG (mulberry32) for the property tests: each failing sequence replays from its seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

export function randomBytes(rand: () => number, n: number, range = 256): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(rand() * range));
}

export const u32Key = (i: number): Uint8Array => new Uint8Array(new Uint32Array([i >>> 0]).buffer);
