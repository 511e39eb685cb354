/**
 * The hash of a map key: MurmurHash3 x86_32 over the key bytes with the map's seed. One function, so the TS
 * maps and the JIT's wasm lowering pick the same bucket. (The kernel uses jhash with a random seed; bucket
 * placement is not observable to programs, so any good 32-bit hash will do — this one lowers to a few wasm
 * i32 ops per 4 bytes.)
 */
export function keyHash(u8: Uint8Array, off: number, len: number, seed: number): number {
  let h = seed >>> 0;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const words = len >>> 2;
  let p = off;
  for (let i = 0; i < words; i++, p += 4) {
    let k = u8[p]! | (u8[p + 1]! << 8) | (u8[p + 2]! << 16) | (u8[p + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rem = len & 3;
  if (rem !== 0) {
    let k = u8[p]!;
    if (rem >= 2) k ^= u8[p + 1]! << 8;
    if (rem === 3) k ^= u8[p + 2]! << 16;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
