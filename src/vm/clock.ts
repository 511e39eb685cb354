/**
 * Where the time and randomness helpers get their answers (bpf_ktime_get_ns, bpf_ktime_get_boot_ns,
 * bpf_ktime_get_coarse_ns, bpf_jiffies64, bpf_get_prandom_u32). A replay can follow the capture's own
 * timestamps and a seed, so two runs of the same capture give the same answers (design.md §4b).
 */

/** The kernel's CONFIG_HZ on common distribution kernels (Debian: 250); jiffies64 counts at this rate. */
export const HZ = 250;
const NS_PER_JIFFY = 1_000_000_000n / BigInt(HZ);
/** Kernel ktime_get_coarse_ns has tick resolution. */
const COARSE_NS = NS_PER_JIFFY;

export interface Clock {
  /** CLOCK_MONOTONIC, ns (bpf_ktime_get_ns). */
  monotonicNs(): bigint;
  /** CLOCK_BOOTTIME, ns (bpf_ktime_get_boot_ns). */
  bootNs(): bigint;
  /** Tick-resolution monotonic time (bpf_ktime_get_coarse_ns). */
  coarseNs(): bigint;
  jiffies64(): bigint;
  /** bpf_get_prandom_u32. */
  prandomU32(): number;
  /** Called by the runner before each frame with the frame's capture timestamp (ns since the epoch). */
  enterFrame(captureTsNs: bigint): void;
}

/**
 * A small, fast, seedable generator (mulberry32): the kernel's prandom is a per-CPU tausworthe generator
 * whose sequence is not observable as such, so any uniform u32 stream serves.
 */
class SeededRandom {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
}

/** The host's clocks (process.hrtime is CLOCK_MONOTONIC). Boot time: monotonic, as no suspend happens here. */
export class WallClock implements Clock {
  private readonly rand: SeededRandom;
  constructor(seed = (Math.random() * 2 ** 32) >>> 0) { this.rand = new SeededRandom(seed); }
  monotonicNs(): bigint { return process.hrtime.bigint(); }
  bootNs(): bigint { return process.hrtime.bigint(); }
  coarseNs(): bigint { const t = process.hrtime.bigint(); return t - (t % COARSE_NS); }
  jiffies64(): bigint { return process.hrtime.bigint() / NS_PER_JIFFY; }
  prandomU32(): number { return this.rand.next(); }
  enterFrame(): void { /* wall time moves by itself */ }
}

/**
 * Time stands still within a frame and equals the frame's capture timestamp; it never goes backwards (a
 * capture whose timestamps do is clamped, as CLOCK_MONOTONIC would be).
 */
export class CaptureClock implements Clock {
  private now = 0n;
  private readonly rand: SeededRandom;
  constructor(seed = 0) { this.rand = new SeededRandom(seed); }
  monotonicNs(): bigint { return this.now; }
  bootNs(): bigint { return this.now; }
  coarseNs(): bigint { return this.now - (this.now % COARSE_NS); }
  jiffies64(): bigint { return this.now / NS_PER_JIFFY; }
  prandomU32(): number { return this.rand.next(); }
  enterFrame(captureTsNs: bigint): void { if (captureTsNs > this.now) this.now = captureTsNs; }
}
