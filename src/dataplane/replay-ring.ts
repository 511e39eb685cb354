/**
 * Replay from memory (issue 6, design.md §3): a loaded capture's frames are placed into arena frame slots once
 * at replay start, split over CPUs by RSS, one ring per CPU; each worker then replays its ring itself, pass
 * after pass, entering wasm once per batch (run_batch), with no per-frame message, JS→wasm call or copy.
 * Frames run as the previous pass left their bytes (the kernel's test_run repeat); only each descriptor's
 * data / data_end / data_meta go back to the slot's original bounds before a frame runs again.
 *
 * One CPU's ring, in the arena:
 * ```
 *  +0                n descriptors × DESC_SIZE (struct xdp_md first; SLOT names the frame's slot)
 *  +ringTs(n)        n × i64 capture timestamps of the first pass (ns since the epoch)
 *  +ringLinear(n)    n × u32 the frame's original linear length (data_end - data as placed)
 *  +ringFinal(n)     n × u8  index of the chain stage that gave the final action
 *  +ringSlots(n)     n × FRAME_SLOT_SIZE frame slots (page aligned)
 * ```
 * Protocol (messages in batch-layout.ts): the main thread sends one `job` per CPU; the worker runs batches
 * between turns of its event loop, so `prepare` / `release` and `job-stages` (attach / replace / detach)
 * still reach it, and applies new stages at the next batch boundary, answering `job-applied` so the old
 * attachment is released only once no CPU runs it (no frame lost, none run by two programs). Frames whose
 * final action is in the job's deliver mask (TX/PASS with something to deliver to, REDIRECT) are handed back
 * with `job-deliver` and their slots wait for `job-delivered`; counting-only outcomes never leave the worker.
 * Progress and stop go through the job's control block (a SharedArrayBuffer read with Atomics):
 * ```
 *  i32 [0]                 stop request (main → worker, checked at every batch boundary)
 *  i64 [1 + cpu*8 + k]     per CPU, written by that CPU's worker only (JobCounter k):
 *                          frames run, bytes received, PASS and TX frames/bytes counted without delivery
 * ```
 */
import { DESC_SIZE, FRAME_SLOT_SIZE } from '../vm/arena-layout.js';

export const ringTs = (n: number): number => n * DESC_SIZE;
export const ringLinear = (n: number): number => ringTs(n) + n * 8;
export const ringFinal = (n: number): number => ringLinear(n) + n * 4;
export const ringSlots = (n: number): number => Math.ceil((ringFinal(n) + n) / FRAME_SLOT_SIZE) * FRAME_SLOT_SIZE;
export const ringBytes = (n: number): number => ringSlots(n) + n * FRAME_SLOT_SIZE;

/** Frames per run_batch call of a replay job: long enough that the per-batch work is noise. */
export const JOB_BATCH = 1024;

export const JobCounter = { FRAMES: 0, RX_BYTES: 1, PASS_PACKETS: 2, PASS_BYTES: 3, TX_PACKETS: 4, TX_BYTES: 5 } as const;
const JOB_COUNTER_STRIDE = 8;

/** The control block of one job, viewed from either thread. */
export class JobControl {
  readonly stopWord: Int32Array;
  private readonly counters: BigInt64Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.stopWord = new Int32Array(buffer, 0, 2);
    this.counters = new BigInt64Array(buffer, 8);
  }

  static create(cpus: number): JobControl {
    return new JobControl(new SharedArrayBuffer(8 + cpus * JOB_COUNTER_STRIDE * 8));
  }

  get stopRequested(): boolean { return Atomics.load(this.stopWord, 0) !== 0; }
  requestStop(): void { Atomics.store(this.stopWord, 0, 1); }

  add(cpu: number, counter: number, value: number): void {
    if (value !== 0) Atomics.add(this.counters, cpu * JOB_COUNTER_STRIDE + counter, BigInt(value));
  }

  read(cpu: number, counter: number): number {
    return Number(Atomics.load(this.counters, cpu * JOB_COUNTER_STRIDE + counter));
  }
}
