/**
 * bpf_csum_diff (28), as 6.x kernels compute it for every architecture (net/core/filter.c since "bpf:
 * bpf_csum_diff: optimize and homogenize for all archs"): the one's-complement sum of `to` minus that of
 * `from`, plus the seed, folded to 16 bits (csum_from32to16), not complemented.
 * Sizes must be multiples of 4 and together at most 512 bytes (the per-CPU scratch pad), else -EINVAL.
 */
import type { HelperImpl } from '../exec-types.js';
import { Errno } from '../maps/errno.js';
import { type HelperEnv, argU32, retS32 } from './helper-env.js';

const SCRATCH_BYTES = 512;

/** csum_add: 32-bit one's-complement addition (end-around carry). */
export const csumAdd = (a: number, b: number): number => {
  const s = (a >>> 0) + (b >>> 0);
  return (s + (s > 0xffffffff ? 1 : 0)) >>> 0;
};

/** csum_partial: one's-complement sum of little-endian 32-bit words (len a multiple of 4) plus `seed`. */
export function csumPartial(u8: Uint8Array, addr: number, len: number, seed: number): number {
  let sum = seed >>> 0;
  for (let p = addr; p < addr + len; p += 4) {
    sum = csumAdd(sum, (u8[p]! | (u8[p + 1]! << 8) | (u8[p + 2]! << 16) | (u8[p + 3]! << 24)) >>> 0);
  }
  return sum;
}

/** csum_from32to16: fold the 32-bit sum to 16 bits (high half of x + ror(x, 16)). */
export const csumFrom32to16 = (x: number): number => {
  const r = ((x >>> 16) | (x << 16)) >>> 0;
  return ((x + r) >>> 0) >>> 16;
};

export function csumDiff(u8: Uint8Array, from: number, fromSize: number, to: number, toSize: number, seed: number): number {
  let ret = seed >>> 0;
  if (fromSize && toSize) ret = csumAdd(csumPartial(u8, to, toSize, ret), ~csumPartial(u8, from, fromSize, 0) >>> 0);
  else if (toSize) ret = csumPartial(u8, to, toSize, ret);
  else if (fromSize) ret = ~csumPartial(u8, from, fromSize, ~ret >>> 0) >>> 0;
  return csumFrom32to16(ret);
}

export function csumHelpers(env: HelperEnv): ReadonlyMap<number, HelperImpl> {
  return new Map<number, HelperImpl>([
    [28, (c) => {
      const from = argU32(c, 1);
      const fromSize = argU32(c, 2);
      const to = argU32(c, 3);
      const toSize = argU32(c, 4);
      const seed = argU32(c, 5);
      if (((fromSize | toSize) & 3) !== 0 || fromSize + toSize > SCRATCH_BYTES) return retS32(c, -Errno.EINVAL);
      if (fromSize) env.checkMem(c, from, fromSize, false);
      if (toSize) env.checkMem(c, to, toSize, false);
      retS32(c, csumDiff(env.arena.u8, from, fromSize, to, toSize, seed));
    }],
  ]);
}
