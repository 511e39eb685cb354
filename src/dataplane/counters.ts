/**
 * Per-CPU counters of one (interface, program) pair, kept in the arena so that workers add to them and the
 * control plane reads them at scrape time without any message passing (design.md §2, §6 metrics).
 *
 * A counter block holds one 192-byte group per CPU (three cache lines, so no two CPUs share a line):
 * ```
 *  u64 index  0..5   packets by action: aborted, drop, pass, tx, redirect, unknown
 *  u64 index  6..11  bytes by action (the frame's length as received by the program)
 *  u64 index 12      exceptions (aborted + unknown actions + engine faults)
 *  u64 index 13..16  redirect errors: no_target, target_down, queue_full, too_big
 *  u64 index 17      run time, ns (wall time inside runBatch, attributed per program)
 *  u64 index 18..23  reserved
 * ```
 * Workers add with Atomics once per batch per field (not per packet); the main thread adds redirect errors
 * (it resolves redirect targets) with Atomics too, so both writers are safe on the same line.
 */
export const ACTION_LABELS = ['aborted', 'drop', 'pass', 'tx', 'redirect', 'unknown'] as const;
export type ActionLabel = (typeof ACTION_LABELS)[number];
export const REDIRECT_ERROR_REASONS = ['no_target', 'target_down', 'queue_full', 'too_big'] as const;
export type RedirectErrorReason = (typeof REDIRECT_ERROR_REASONS)[number];

export const CPU_COUNTER_STRIDE = 192;
const U64_PER_CPU = CPU_COUNTER_STRIDE / 8;
export const Counter = {
  PACKETS: 0, BYTES: 6, EXCEPTIONS: 12, REDIRECT_ERRORS: 13, RUN_NS: 17,
} as const;

/** Index into ACTION_LABELS for an XDP return value: 0..4 as the uapi enum, anything else `unknown`. */
export const actionIndex = (action: number): number => (action >>> 0) <= 4 ? action >>> 0 : 5;

export const counterBlockSize = (cpus: number): number => cpus * CPU_COUNTER_STRIDE;

/** A view of one counter block; cheap to create in any thread that has the arena's buffer. */
export class CounterBlock {
  private readonly u64: BigUint64Array;

  constructor(buffer: ArrayBufferLike, readonly addr: number, readonly cpus: number) {
    this.u64 = new BigUint64Array(buffer, addr, cpus * U64_PER_CPU);
  }

  add(cpu: number, field: number, value: number): void {
    if (value !== 0) Atomics.add(this.u64, cpu * U64_PER_CPU + field, BigInt(value));
  }

  read(cpu: number, field: number): number {
    return Number(Atomics.load(this.u64, cpu * U64_PER_CPU + field));
  }

  clear(): void {
    this.u64.fill(0n);
  }
}

/** What a worker accumulates over one batch before adding it to the block in one go. */
export class BatchTally {
  readonly packets = new Float64Array(6);
  readonly bytes = new Float64Array(6);
  exceptions = 0;
  runNs = 0;

  count(action: number, len: number, faulted: boolean): void {
    const i = actionIndex(action);
    this.packets[i]! += 1;
    this.bytes[i]! += len;
    if (faulted || i === 0 || i === 5) this.exceptions++;
  }

  flushTo(block: CounterBlock, cpu: number): void {
    for (let i = 0; i < 6; i++) {
      block.add(cpu, Counter.PACKETS + i, this.packets[i]!);
      block.add(cpu, Counter.BYTES + i, this.bytes[i]!);
    }
    block.add(cpu, Counter.EXCEPTIONS, this.exceptions);
    block.add(cpu, Counter.RUN_NS, Math.round(this.runNs));
    this.packets.fill(0); this.bytes.fill(0); this.exceptions = 0; this.runNs = 0;
  }
}
