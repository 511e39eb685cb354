/**
 * The hash of an LPM_TRIE prefix (prefix length and the first prefixlen bits of the key's data) that places
 * an entry in src/vm/maps/lpm-trie.ts's bucket table; jit/lower-map-lpm.ts computes the same function in wasm,
 * so the two must change together. Bits past the prefix length do not take part: the kernel keeps them in the
 * stored key but they never decide a match (kernel/bpf/lpm_trie.c longest_prefix_match).
 * Data is read as 32-bit words in network order (the first bit of the prefix is the word's top bit); the last
 * word is masked to the bits still inside the prefix, and bytes past the data read as 0.
 */
export const LPM_HASH_SEED = 0x9e3779b1;
export const LPM_HASH_MUL = 0x85ebca6b;
export const LPM_HASH_ROT = 13;

/** Hash of the first `len` bits of the `dataSize` data bytes at `bytes[off]` (len ≤ dataSize * 8). */
export function lpmPrefixHash(bytes: Uint8Array, off: number, dataSize: number, len: number): number {
  let h = Math.imul(len, LPM_HASH_SEED);
  for (let w = 0, r = len; r > 0; w++, r -= 32) {
    let x = 0;
    for (let b = 4 * w; b < 4 * w + 4; b++) x = (x << 8) | (b < dataSize ? bytes[off + b]! : 0);
    if (r < 32) x &= -1 << (32 - r);
    h ^= x;
    h = Math.imul((h << LPM_HASH_ROT) | (h >>> (32 - LPM_HASH_ROT)), LPM_HASH_MUL);
  }
  return (h ^ (h >>> 16)) >>> 0;
}
