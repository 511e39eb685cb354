/**
 * Side-by-side timing for `xdpjit bench`: several subjects (a program and its XDP_PASS floor, on each
 * engine) are timed in interleaved rounds, so a burst of load on this shared machine lands on all of them
 * alike and their differences (marginal cost, ratios) stay meaningful. Each round times a few steps of
 * each subject; the figure is the median of the later half of the rounds' ns/packet. Measuring stops when two
 * consecutive checks of every subject's median agree within `tolerance`, or at the (wall-clock) time cap.
 *
 * Samples are timed in this process's CPU time (getrusage user + system, which Linux keeps to the ns from
 * the scheduler's sum_exec_runtime; all threads, so CPU workers count and a main thread blocked waiting for
 * them does not), not wall time: with many processes sharing two cores, wall time counts
 * the slices spent waiting for a core. The kernel's test_run timer likewise stops while it yields the CPU
 * (net/bpf/test_run.c bpf_test_timer_continue: bpf_test_timer_leave/enter around cond_resched).
 */

export interface Timed {
  /** Runs `steps` units of work; returns the packets they ran. */
  run(steps: number): number;
}

export interface MeasureOptions {
  /** Wall-clock cap for the whole measurement, ms (warm-up included). */
  readonly capMs: number;
  /** Do not stop before this many ms even when stable (default capMs / 4). */
  readonly minMs?: number;
  /** Relative change of a median between checks still counted as stable (default 0.03). */
  readonly tolerance?: number;
  /** Progress in [0, 1], for a progress bar. */
  readonly onProgress?: (fraction: number) => void;
}

export interface Measured {
  readonly nsPerPacket: number;
  /** Packets run in timed rounds (warm-up excluded). */
  readonly packets: number;
  readonly rounds: number;
  /** Whether the medians settled before the cap. */
  readonly stable: boolean;
}

/** Rounds between stability checks; the first check needs two such groups. */
const CHECK_EVERY = 5;
/** Share of the cap spent warming up (V8 tiers wasm and JS up while it runs). */
const WARMUP_SHARE = 0.1;
/** Rounds a subject's step count is sized for within the cap. */
const ROUNDS_PLANNED = 30;

const now = (): number => Number(process.hrtime.bigint());
const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The later half of the rounds: V8 may still be optimising (the interpreter's dispatch function takes it
 * seconds of a loaded machine) when the warm-up ends, and the rounds before that are not the steady state.
 */
function recentHalf(xs: readonly number[]): readonly number[] {
  return xs.slice(Math.floor(xs.length / 2));
}

function timeSteps(s: Timed, steps: number): { ns: number; packets: number } {
  const t0 = cpuNow();
  const packets = s.run(steps);
  return { ns: cpuNow() - t0, packets };
}

export function measureSideBySide(subjects: readonly Timed[], opts: MeasureOptions): Measured[] {
  const capNs = opts.capMs * 1e6;
  const minNs = (opts.minMs ?? opts.capMs / 4) * 1e6;
  const tolerance = opts.tolerance ?? 0.03;
  const start = now();
  const elapsed = (): number => now() - start;
  const progress = (f: number): void => opts.onProgress?.(Math.min(1, f));

  // Warm-up: round-robin until the warm-up share is spent (every subject at least twice); a subject's CPU
  // time per step in the last warm-up round sizes its rounds (the first steps pay for compiling).
  const warm = subjects.map(() => ({ ns: 0, steps: 0 }));
  const warmupNs = capNs * WARMUP_SHARE;
  let steps = 1;
  for (let round = 0; round < 2 || elapsed() < warmupNs; round++) {
    const t0 = now();
    subjects.forEach((s, i) => {
      warm[i] = { ns: timeSteps(s, steps).ns, steps };
    });
    // Grow the rounds while they are short, so that the warm-up ends close to its share.
    if (now() - t0 < warmupNs / 16) steps *= 2;
  }
  // Steps per round: a subject's share of one planned round, at least one step.
  const sampleNs = (capNs * (1 - WARMUP_SHARE)) / (ROUNDS_PLANNED * subjects.length);
  const stepsPerRound = warm.map((w) => Math.max(1, Math.round(sampleNs / Math.max(1, w.ns / w.steps))));

  const samples: number[][] = subjects.map(() => []);
  const packets = subjects.map(() => 0);
  let previous: number[] | undefined;
  let stable = false;
  let rounds = 0;
  while (true) {
    subjects.forEach((s, i) => {
      const t = timeSteps(s, stepsPerRound[i]!);
      samples[i]!.push(t.ns / Math.max(1, t.packets));
      packets[i]! += t.packets;
    });
    rounds++;
    progress(elapsed() / capNs);
    if (rounds % CHECK_EVERY === 0) {
      const medians = samples.map((xs) => median(recentHalf(xs)));
      stable = previous !== undefined && medians.every((m, i) => Math.abs(m - previous![i]!) <= tolerance * previous![i]!);
      if (stable && elapsed() >= minNs) break;
      previous = medians;
    }
    if (elapsed() >= capNs && rounds >= 2) { stable = false; break; }
  }
  progress(1);
  return subjects.map((_, i) => Object.freeze({ nsPerPacket: median(recentHalf(samples[i]!)), packets: packets[i]!, rounds, stable }));
}
