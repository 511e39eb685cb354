/**
 * Runs an attachment's stages over contiguous descriptors on one worker ("CPU") and adds per-action counts to
 * the arena counter blocks (counters.ts), once per batch per field. Stage 0 runs the whole batch in one engine
 * entry; later chain stages run only the frames whose action is in the previous stage's chain_call_actions
 * (libxdp's dispatcher semantics). Used by batch buffers (cpu-worker.ts) and replay jobs (replay-loop.ts).
 */
import { Desc, DESC_SIZE } from '../vm/arena-layout.js';
import type { StageEvent, StageRef } from './batch-layout.js';
import { BatchTally, CounterBlock } from './counters.js';
import type { ArenaMemory, BatchClock, FrameProcessor } from './frame-processor.js';

/** Events forwarded per batch at most; a program printing on every frame must not flood the main thread. */
export const MAX_EVENTS_PER_BATCH = 256;

export class StageRunner {
  private readonly blocks = new Map<number, CounterBlock>();
  private readonly tallies: BatchTally[] = [];
  private lens = new Uint32Array(0);

  constructor(
    private readonly memory: ArenaMemory,
    private readonly cpu: number,
    private readonly cpus: number,
    private readonly processors: ReadonlyMap<number, FrameProcessor>,
  ) {}

  processor(key: number): FrameProcessor | undefined { return this.processors.get(key); }

  blockAt(addr: number): CounterBlock {
    let b = this.blocks.get(addr);
    if (!b) { b = new CounterBlock(this.memory.buffer, addr, this.cpus); this.blocks.set(addr, b); }
    return b;
  }

  /**
   * Run `stages` over the `n` descriptors at `addr`; `finalStage` (n bytes) receives, per frame, the index of
   * the stage whose action is final. Descriptors must have Desc.ACTION / Desc.ERROR cleared by the caller.
   */
  run(addr: number, n: number, finalStage: Uint8Array, stages: readonly StageRef[], clock: BatchClock | null, events: StageEvent[]): void {
    const u32 = new Uint32Array(this.memory.buffer);
    while (this.tallies.length < stages.length) this.tallies.push(new BatchTally());
    if (this.lens.length < n) this.lens = new Uint32Array(n);
    const lens = this.lens;
    const d0 = addr >>> 2, stride = DESC_SIZE >> 2;
    for (let i = 0, d = d0; i < n; i++, d += stride) {
      lens[i] = u32[d + (Desc.DATA_END >> 2)]! - u32[d + (Desc.DATA >> 2)]! + u32[d + (Desc.FRAGS_LEN >> 2)]!;
    }
    finalStage.fill(0, 0, n);
    let pending: number[] | null = null;
    for (let s = 0; s < stages.length; s++) {
      const stage = stages[s]!;
      const proc = this.processors.get(stage.key);
      const tally = this.tallies[s]!;
      if (pending) {
        for (const i of pending) {
          const d = d0 + i * stride;
          lens[i] = u32[d + (Desc.DATA_END >> 2)]! - u32[d + (Desc.DATA >> 2)]! + u32[d + (Desc.FRAGS_LEN >> 2)]!;
          u32[d + (Desc.ACTION >> 2)] = 0;
          u32[d + (Desc.REDIRECT_KIND >> 2)] = 0;
          u32[d + (Desc.ERROR >> 2)] = 0;
          finalStage[i] = s;
        }
      }
      const t0 = process.hrtime.bigint();
      let batchFault = proc === undefined;
      if (proc) {
        try {
          if (pending === null) proc.runBatch(this.cpu, addr, n, clock);
          else for (const i of pending) {
            proc.runBatch(this.cpu, addr + i * DESC_SIZE, 1, clock ? { tsNs: clock.tsNs.subarray(i, i + 1) } : null);
          }
        } catch {
          batchFault = true;
        }
      }
      tally.runNs += Number(process.hrtime.bigint() - t0);
      for (const e of proc?.drainEvents?.() ?? []) if (events.length < MAX_EVENTS_PER_BATCH) events.push({ ...e, stage: s });
      const chain = s + 1 < stages.length ? stage.chainCallActions : 0;
      const next: number[] = [];
      const count = pending?.length ?? n;
      for (let k = 0; k < count; k++) {
        const i = pending ? pending[k]! : k;
        const d = d0 + i * stride;
        // A fault not attributable to one frame aborts the whole batch: every frame counts as an exception.
        if (batchFault) u32[d + (Desc.ACTION >> 2)] = 0;
        const action = u32[d + (Desc.ACTION >> 2)]!;
        const faulted = batchFault || u32[d + (Desc.ERROR >> 2)] !== 0;
        tally.count(action, lens[i]!, faulted);
        if (!faulted && action < 32 && (chain >>> action) & 1) next.push(i);
      }
      tally.flushTo(this.blockAt(stage.counterAddr), this.cpu);
      if (next.length === 0) break;
      pending = next;
    }
  }
}
