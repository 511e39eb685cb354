/**
 * One worker ("CPU") of bench/replay-mpps.ts: builds the program's processor exactly as a daemon worker does
 * (runtime-processor.ts via the loader's recipe), then replays its descriptor ring from arena memory until
 * told to stop: one JS→wasm `runBatch` call per pass over the whole ring, no copy, the frames run as the
 * previous pass left them (the kernel's test_run repeat). Counts actions of the last pass only, outside the
 * timed loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Desc, DESC_SIZE } from '../src/vm/arena-layout.js';
import type { ArenaMemory, ProcessorFactory, ProcessorRecipe } from '../src/dataplane/frame-processor.js';

export interface ReplayWorkerInit {
  readonly memory: ArenaMemory;
  readonly cpu: number;
  readonly recipe: ProcessorRecipe;
  /** Descriptor ring of this worker (DESC_SIZE each, frames already in arena slots). */
  readonly descAddr: number;
  readonly frames: number;
  /** Frames per runBatch call (the ring is run in chunks of this size). */
  readonly batch: number;
  /** [0] start flag, [1] stop flag: shared by every worker so all start and stop together. */
  readonly control: Int32Array;
}

export interface ReplayWorkerResult { readonly frames: number; readonly ns: number; readonly actions: Record<number, number> }

const init = workerData as ReplayWorkerInit;
const mod = (await import(init.recipe.module)) as { createProcessor: ProcessorFactory };
const proc = await mod.createProcessor(init.memory, init.recipe.spec, init.cpu);
const { cpu, descAddr, frames, batch, control } = init;
const pass = (): void => {
  for (let off = 0; off < frames; off += batch) proc.runBatch(cpu, descAddr + off * DESC_SIZE, Math.min(batch, frames - off), null);
};
// Warm up so V8 has tiered the module up (Liftoff → TurboFan) before the timed loop.
for (const end = performance.now() + 300; performance.now() < end;) pass();
parentPort!.postMessage('ready');
Atomics.wait(init.control, 0, 0);

let done = 0;
const t0 = process.hrtime.bigint();
while (Atomics.load(control, 1) === 0) {
  pass();
  done += frames;
}
const ns = Number(process.hrtime.bigint() - t0);

const u32 = new Uint32Array(init.memory.buffer);
const actions: Record<number, number> = {};
for (let i = 0; i < frames; i++) {
  const a = u32[(descAddr + i * DESC_SIZE + Desc.ACTION) >>> 2]!;
  actions[a] = (actions[a] ?? 0) + 1;
}
parentPort!.postMessage({ frames: done, ns, actions } satisfies ReplayWorkerResult);
