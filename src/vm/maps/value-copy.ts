/**
 * Writing a map value that embeds a `struct bpf_spin_lock` (include/linux/bpf.h copy_map_value /
 * copy_map_value_locked): every write leaves the 4-byte lock word alone — a userspace or helper update never
 * clobbers a lock a CPU may hold — and a BPF_F_LOCK update copies the rest of the value while holding that
 * lock, so a program's bpf_spin_lock section never sees it half written.
 */
import { SPIN_LOCK_SIZE } from './map-header.js';

/** copy_map_value: `src` into the value at `dst`, skipping the lock word at `lockOff` when there is one. */
export function copyValue(u8: Uint8Array, dst: number, src: Uint8Array, size: number, lockOff: number | undefined): void {
  if (lockOff === undefined) { u8.set(src.subarray(0, size), dst); return; }
  u8.set(src.subarray(0, lockOff), dst);
  u8.set(src.subarray(lockOff + SPIN_LOCK_SIZE, size), dst + lockOff + SPIN_LOCK_SIZE);
}

/** copy_map_value_locked: take the destination's lock (as bpf_spin_lock does), copy around it, release it. */
export function copyValueLocked(u32: Uint32Array, dst: number, src: Uint8Array, size: number, lockOff: number): void {
  const lock = (dst + lockOff) >>> 2;
  while (Atomics.compareExchange(u32, lock, 0, 1) !== 0) { /* held by a program for a few instructions */ }
  try {
    copyValue(new Uint8Array(u32.buffer), dst, src, size, lockOff);
  } finally {
    Atomics.store(u32, lock, 0);
  }
}
