/**
 * Where the time and randomness helpers get their answers (bpf_ktime_get_ns, bpf_ktime_get_boot_ns,
 * bpf_ktime_get_coarse_ns, bpf_jiffies64, bpf_get_prandom_u32). A replay can follow the capture's own
 * timestamps and a seed, so two runs of the same capture give the same answers (design.md §4b).
 */

/** The kernel's CONFIG_HZ on common distribution kernels (Debian: 250); jiffies64 counts at this rate. */
export const HZ = 250;
const NS_PER_JIFFY = 1_000_000_000n / BigInt(HZ);
/** Nanoseconds per jiffy as a number (the JIT's wasm divides by it: jit/lower-helper-time.ts). */
export const NS_PER_JIFFY_NUMBER = Number(NS_PER_JIFFY);
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
  /**
   * Write the clock into a time cell (TimeCell, at u32[i]) when compiled code first asks it (jit/instance.ts), so
   * the clock helpers answer inside wasm: a frozen clock (time stands still within a frame) its time, which
   * answers all four clock helpers; a live one the time now, from which bpf_ktime_get_coarse_ns and
   * bpf_jiffies64 answer while bpf_ktime_get_ns / boot_ns read the host per call. Absent: the cell says
   * NONE and every clock helper takes the trampoline. The bpf_get_prandom_u32 generator's state goes into
   * the cell too, and compiled code advances it there (mulberry32, as SeededRandom).
   */
  publish?(u32: Uint32Array, i: number): void;
  /** Take back the generator state compiled code advanced in the cell `publish` filled. */
  absorb?(u32: Uint32Array, i: number): void;
  /** monotonicNs() as u32 halves out[i] (low), out[i + 1] (high), without allocating a BigInt. */
  monotonicInto?(out: Uint32Array, i: number): void;
  /** bootNs() as u32 halves, like monotonicInto. */
  bootInto?(out: Uint32Array, i: number): void;
}

/**
 * The time cell, 16 bytes per CPU (jit/lower-helper-time.ts reads it):
 * ```
 *  +0 u32 mode (TimeCellMode)   +4 u32 bpf_get_prandom_u32 generator state   +8 u64 ns: the published time
 * ```
 * The kernel's coarse clock and jiffies advance once per tick from a value the timer interrupt stores, so a
 * time published per batch (a live clock) or per frame (a frozen one) rounded down to a tick is what they
 * read: never ahead of ktime_get_ns, never going backwards.
 */
export const TimeCell = { MODE: 0, RAND: 4, NS: 8, SIZE: 16 } as const;
/** mulberry32's increment (SeededRandom.next; jit/lower-helper-time.ts emits the same steps). */
export const MULBERRY32_INCREMENT = 0x6d2b79f5;
export const TimeCellMode = { NONE: 0, FROZEN: 1, LIVE: 2 } as const;
/** The helpers that answer from the time cell once published (uapi `enum bpf_func_id`). */
export const ClockHelperId = { KTIME_GET_NS: 5, GET_PRANDOM_U32: 7, JIFFIES64: 118, KTIME_GET_BOOT_NS: 125, KTIME_GET_COARSE_NS: 160 } as const;

const TWO_32 = 4294967296;

/**
 * sec·10⁹ + nsec (process.hrtime's pair) as u32 halves, exactly: the sum passes 2^53 after 104 days of
 * uptime, so it is built from pieces below that: sec = sh·2^16 + sl, sh·10⁹ = bh·2^16 + bl.
 */
export function hrtimeHalves(sec: number, nsec: number, out: Uint32Array, i: number): void {
  const sh = Math.floor(sec / 65536);
  const b = sh * 1e9;
  const bh = Math.floor(b / 65536);
  const c = (b % 65536) * 65536 + (sec % 65536) * 1e9 + nsec;
  out[i] = c % TWO_32;
  out[i + 1] = bh + Math.floor(c / TWO_32);
}

function hostMonotonicInto(out: Uint32Array, i: number): void {
  const t = process.hrtime();
  hrtimeHalves(t[0], t[1], out, i);
}

/**
 * A small, fast, seedable generator (mulberry32): the kernel's prandom is a per-CPU tausworthe generator
 * whose sequence is not observable as such, so any uniform u32 stream serves.
 */
class SeededRandom {
  /** The generator's whole state (a compiled program advances it in the time cell: Clock.publish / absorb). */
  s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    this.s = (this.s + MULBERRY32_INCREMENT) >>> 0;
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
  publish(u32: Uint32Array, i: number): void {
    u32[i + (TimeCell.MODE >>> 2)] = TimeCellMode.LIVE;
    u32[i + (TimeCell.RAND >>> 2)] = this.rand.s;
    hostMonotonicInto(u32, i + (TimeCell.NS >>> 2));
  }
  absorb(u32: Uint32Array, i: number): void { this.rand.s = u32[i + (TimeCell.RAND >>> 2)]!; }
  monotonicInto(out: Uint32Array, i: number): void { hostMonotonicInto(out, i); }
  bootInto(out: Uint32Array, i: number): void { hostMonotonicInto(out, i); }
}

/**
 * Time stands still within a frame and equals the frame's capture timestamp; it never goes backwards (a
 * capture whose timestamps do is clamped, as CLOCK_MONOTONIC would be).
 */
export class CaptureClock implements Clock {
  private now = 0n;
  /** `now` as u32 halves, kept beside it so the helpers and the time cell need no BigInt per call. */
  private nowLo = 0;
  private nowHi = 0;
  private readonly rand: SeededRandom;
  constructor(seed = 0) { this.rand = new SeededRandom(seed); }
  monotonicNs(): bigint { return this.now; }
  bootNs(): bigint { return this.now; }
  coarseNs(): bigint { return this.now - (this.now % COARSE_NS); }
  jiffies64(): bigint { return this.now / NS_PER_JIFFY; }
  prandomU32(): number { return this.rand.next(); }
  enterFrame(captureTsNs: bigint): void {
    if (captureTsNs <= this.now) return;
    this.now = captureTsNs;
    this.nowLo = Number(captureTsNs & 0xffffffffn);
    this.nowHi = Number((captureTsNs >> 32n) & 0xffffffffn);
  }
  publish(u32: Uint32Array, i: number): void {
    u32[i + (TimeCell.MODE >>> 2)] = TimeCellMode.FROZEN;
    u32[i + (TimeCell.RAND >>> 2)] = this.rand.s;
    this.monotonicInto(u32, i + (TimeCell.NS >>> 2));
  }
  absorb(u32: Uint32Array, i: number): void { this.rand.s = u32[i + (TimeCell.RAND >>> 2)]!; }
  monotonicInto(out: Uint32Array, i: number): void {
    out[i] = this.nowLo;
    out[i + 1] = this.nowHi;
  }
  bootInto(out: Uint32Array, i: number): void { this.monotonicInto(out, i); }
}
