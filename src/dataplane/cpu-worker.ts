/**
 * A data-plane worker thread: one "CPU". It instantiates processors against the shared arena, runs batch
 * buffers the main thread filled, and adds per-action counts to the arena counter blocks (counters.ts).
 * Messages are handled in arrival order, so a batch always runs with the stages it names: attach/replace
 * happens between batches, never inside one (design.md §3).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Desc, DESC_SIZE } from '../vm/arena-layout.js';
import { BATCH_FINAL_STAGE, BATCH_TS, type StageEvent, type StageRef, type WorkerReply, type WorkerRequest } from './batch-layout.js';
import { BatchTally, CounterBlock } from './counters.js';
import type { ArenaMemory, FrameProcessor, ProcessorFactory } from './frame-processor.js';

interface WorkerInit { readonly memory: ArenaMemory; readonly cpu: number; readonly cpus: number }

const { memory, cpu, cpus } = workerData as WorkerInit;
const port = parentPort!;
const processors = new Map<number, FrameProcessor>();
const blocks = new Map<number, CounterBlock>();
const tallies: BatchTally[] = [];

function reply(msg: WorkerReply): void { port.postMessage(msg); }

function blockAt(addr: number): CounterBlock {
  let b = blocks.get(addr);
  if (!b) { b = new CounterBlock(memory.buffer, addr, cpus); blocks.set(addr, b); }
  return b;
}

async function prepare(key: number, module: string, spec: unknown): Promise<void> {
  try {
    const mod = (await import(module)) as { createProcessor?: ProcessorFactory };
    if (typeof mod.createProcessor !== 'function') throw new Error(`${module} exports no createProcessor`);
    processors.set(key, await mod.createProcessor(memory, spec, cpu));
    reply({ t: 'prepared', key });
  } catch (err) {
    reply({ t: 'prepared', key, error: err instanceof Error ? err.message : String(err) });
  }
}

/** Events forwarded per batch at most; a program printing on every frame must not flood the main thread. */
const MAX_EVENTS_PER_BATCH = 256;

function runStages(addr: number, n: number, stages: readonly StageRef[], clocked: boolean, events: StageEvent[]): void {
  const u32 = new Uint32Array(memory.buffer);
  const finalStage = new Uint8Array(memory.buffer, addr + BATCH_FINAL_STAGE, n);
  const ts = clocked ? new BigInt64Array(memory.buffer, addr + BATCH_TS, n) : null;
  while (tallies.length < stages.length) tallies.push(new BatchTally());
  const lens = new Uint32Array(n);
  // Stage 0 runs the whole batch in one engine entry; later chain stages run only the frames whose
  // action is in the previous stage's chain_call_actions (libxdp's dispatcher semantics).
  let pending: number[] | null = null;
  for (let s = 0; s < stages.length; s++) {
    const stage = stages[s]!;
    const proc = processors.get(stage.key);
    const tally = tallies[s]!;
    const indices = pending ?? Array.from({ length: n }, (_, i) => i);
    for (const i of indices) {
      const d = (addr + i * DESC_SIZE) >>> 2;
      lens[i] = u32[d + (Desc.DATA_END >> 2)]! - u32[d + (Desc.DATA >> 2)]! + u32[d + (Desc.FRAGS_LEN >> 2)]!;
      u32[d + (Desc.ACTION >> 2)] = 0;
      u32[d + (Desc.REDIRECT_KIND >> 2)] = 0;
      u32[d + (Desc.ERROR >> 2)] = 0;
      finalStage[i] = s;
    }
    const t0 = process.hrtime.bigint();
    let batchFault = proc === undefined;
    if (proc) {
      try {
        if (pending === null) proc.runBatch(cpu, addr, n, ts ? { tsNs: ts } : null);
        else for (const i of indices) {
          proc.runBatch(cpu, addr + i * DESC_SIZE, 1, ts ? { tsNs: ts.subarray(i, i + 1) } : null);
        }
      } catch {
        batchFault = true;
      }
    }
    tally.runNs += Number(process.hrtime.bigint() - t0);
    for (const e of proc?.drainEvents?.() ?? []) if (events.length < MAX_EVENTS_PER_BATCH) events.push({ ...e, stage: s });
    const next: number[] = [];
    for (const i of indices) {
      const d = (addr + i * DESC_SIZE) >>> 2;
      // A fault not attributable to one frame aborts the whole batch: every frame counts as an exception.
      if (batchFault) u32[d + (Desc.ACTION >> 2)] = 0;
      const action = u32[d + (Desc.ACTION >> 2)]!;
      const faulted = batchFault || u32[d + (Desc.ERROR >> 2)] !== 0;
      tally.count(action, lens[i]!, faulted);
      if (!faulted && s + 1 < stages.length && action < 32 && (stage.chainCallActions >>> action) & 1) next.push(i);
    }
    tally.flushTo(blockAt(stage.counterAddr), cpu);
    if (next.length === 0) break;
    pending = next;
  }
}

port.on('message', (msg: WorkerRequest) => {
  switch (msg.t) {
    case 'prepare': void prepare(msg.key, msg.module, msg.spec); break;
    case 'release': processors.get(msg.key)?.dispose?.(); processors.delete(msg.key); break;
    case 'batch':
      try {
        const events: StageEvent[] = [];
        runStages(msg.addr, msg.n, msg.stages, msg.clocked, events);
        reply(events.length > 0 ? { t: 'done', id: msg.id, events } : { t: 'done', id: msg.id });
      } catch (err) {
        reply({ t: 'done', id: msg.id, error: err instanceof Error ? err.message : String(err) });
      }
      break;
  }
});
