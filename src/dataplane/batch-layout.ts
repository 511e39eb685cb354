/**
 * One batch buffer: what the main thread fills and a worker runs in one `runBatch` call.
 * ```
 *  +0                 BATCH_SIZE descriptors × DESC_SIZE (each one's first 24 bytes are struct xdp_md)
 *  +DESCS             BATCH_SIZE × i64 capture timestamps (ns since the epoch) for the virtual clock
 *  +TS + TS_BYTES     BATCH_SIZE × u8 index of the chain stage that gave the final action
 *                     (redirect errors and delivery are attributed to that program)
 *  +SLOTS             BATCH_SIZE × FRAME_SLOT_SIZE frame slots (4 KiB, 256 bytes headroom, arena-layout.ts)
 * ```
 * Every CPU owns RING_DEPTH such buffers; a buffer is either free, being filled, or in flight.
 */
import { DESC_SIZE, FRAME_SLOT_SIZE } from '../vm/arena-layout.js';
import type { ProcessorEvent } from './frame-processor.js';

export const BATCH_SIZE = 128;
export const RING_DEPTH = 4;
export const BATCH_DESCS = 0;
export const BATCH_TS = BATCH_SIZE * DESC_SIZE;
export const BATCH_FINAL_STAGE = BATCH_TS + BATCH_SIZE * 8;
export const BATCH_SLOTS = Math.ceil((BATCH_FINAL_STAGE + BATCH_SIZE) / FRAME_SLOT_SIZE) * FRAME_SLOT_SIZE;
export const BATCH_BYTES = BATCH_SLOTS + BATCH_SIZE * FRAME_SLOT_SIZE;

/** One stage of an attachment as a worker runs it (a single program is a one-stage chain). */
export interface StageRef {
  readonly key: number;
  /** Bit mask over XDP actions that continue to the next stage (libxdp chain_call_actions). */
  readonly chainCallActions: number;
  readonly counterAddr: number;
}

export type WorkerRequest =
  | { readonly t: 'prepare'; readonly key: number; readonly module: string; readonly spec: unknown }
  | { readonly t: 'release'; readonly key: number }
  | { readonly t: 'batch'; readonly id: number; readonly addr: number; readonly n: number;
      readonly stages: readonly StageRef[]; readonly clocked: boolean }
  | JobRequest;

export type WorkerReply =
  | { readonly t: 'prepared'; readonly key: number; readonly error?: string }
  | { readonly t: 'done'; readonly id: number; readonly error?: string; readonly events?: readonly StageEvent[] }
  | JobReply;

/**
 * What a replay job runs with: the attachment's stages (null: no program, every frame goes to the stack)
 * and which final actions need the main thread per frame (bit 1 << action; see replay-ring.ts).
 */
export interface JobStages {
  readonly gen: number;
  readonly stages: readonly StageRef[] | null;
  readonly deliverMask: number;
}

/** Main thread → worker messages of a replay-from-memory job (replay-ring.ts describes the protocol). */
export type JobRequest =
  | { readonly t: 'job'; readonly id: number; readonly ring: number; readonly n: number; readonly loop: number;
      readonly clocked: boolean; readonly passSpanNs: bigint; readonly batch: number;
      readonly control: SharedArrayBuffer; readonly run: JobStages }
  | { readonly t: 'job-stages'; readonly id: number; readonly run: JobStages }
  | { readonly t: 'job-delivered'; readonly id: number };

/** Worker → main thread messages of a replay job. */
export type JobReply =
  | { readonly t: 'job-applied'; readonly id: number; readonly gen: number }
  | { readonly t: 'job-deliver'; readonly id: number; readonly gen: number; readonly start: number;
      readonly n: number; readonly pass: number }
  | { readonly t: 'job-events'; readonly id: number; readonly gen: number; readonly events: readonly StageEvent[] }
  | { readonly t: 'job-done'; readonly id: number; readonly error?: string };

/** A processor event tagged with the chain stage whose program emitted it. */
export interface StageEvent extends ProcessorEvent { readonly stage: number }
