/**
 * A data-plane worker thread: one "CPU". It instantiates processors against the shared arena, runs batch
 * buffers the main thread filled and replay jobs it replays on its own (replay-ring.ts), and adds per-action
 * counts to the arena counter blocks (counters.ts). Messages are handled in arrival order, so a batch always
 * runs with the stages it names, and a job switches stages between two of its batches: attach/replace
 * happens between batches, never inside one (design.md §3).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BATCH_FINAL_STAGE, BATCH_TS, type StageEvent, type WorkerReply, type WorkerRequest } from './batch-layout.js';
import type { ArenaMemory, FrameProcessor, ProcessorFactory } from './frame-processor.js';
import { WorkerReplayJob } from './replay-loop.js';
import { StageRunner } from './stage-runner.js';

interface WorkerInit { readonly memory: ArenaMemory; readonly cpu: number; readonly cpus: number }

const { memory, cpu, cpus } = workerData as WorkerInit;
const port = parentPort!;
const processors = new Map<number, FrameProcessor>();
const runner = new StageRunner(memory, cpu, cpus, processors);
const jobs = new Map<number, WorkerReplayJob>();
/** How long replay jobs run before the worker turns its event loop (messages: prepare, attach, stop...). */
const SLICE_MS = 4;
let pumping = false;

function reply(msg: WorkerReply): void { port.postMessage(msg); }

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

function runBatch(addr: number, n: number, msg: Extract<WorkerRequest, { t: 'batch' }>): StageEvent[] {
  const events: StageEvent[] = [];
  const finalStage = new Uint8Array(memory.buffer, addr + BATCH_FINAL_STAGE, n);
  const clock = msg.clocked ? { tsNs: new BigInt64Array(memory.buffer, addr + BATCH_TS, n) } : null;
  runner.run(addr, n, finalStage, msg.stages, clock, events);
  return events;
}

/** Run the jobs' batches round-robin for one slice, then let the event loop in. */
function pump(): void {
  const deadline = performance.now() + SLICE_MS;
  let runnable = true;
  while (runnable && performance.now() < deadline) {
    runnable = false;
    for (const job of jobs.values()) {
      if (job.waiting) continue;
      let r: ReturnType<WorkerReplayJob['step']>;
      try {
        r = job.step();
      } catch (err) {
        jobs.delete(job.id);
        reply({ t: 'job-done', id: job.id, error: err instanceof Error ? err.message : String(err) });
        continue;
      }
      if (r === 'done') { jobs.delete(job.id); reply({ t: 'job-done', id: job.id }); } else if (r === 'more') runnable = true;
    }
  }
  pumping = false;
  schedule();
}

function schedule(): void {
  if (pumping || ![...jobs.values()].some((j) => !j.waiting)) return;
  pumping = true;
  setImmediate(pump);
}

port.on('message', (msg: WorkerRequest) => {
  switch (msg.t) {
    case 'prepare': void prepare(msg.key, msg.module, msg.spec); break;
    case 'release': processors.get(msg.key)?.dispose?.(); processors.delete(msg.key); break;
    case 'batch':
      try {
        const events = runBatch(msg.addr, msg.n, msg);
        reply(events.length > 0 ? { t: 'done', id: msg.id, events } : { t: 'done', id: msg.id });
      } catch (err) {
        reply({ t: 'done', id: msg.id, error: err instanceof Error ? err.message : String(err) });
      }
      break;
    case 'job':
      jobs.set(msg.id, new WorkerReplayJob(msg, memory, cpu, runner, reply));
      schedule();
      break;
    case 'job-stages': jobs.get(msg.id)?.restage(msg.run); break;
    case 'job-delivered': jobs.get(msg.id)?.delivered(); schedule(); break;
  }
});
