/**
 * Worker side of the arena concurrency test: rebuilds the Runtime from the shared memory and the posted
 * description, then runs `frames` frames (key = first two bytes, cycling) through the program on its own CPU.
 * Does nothing when loaded on the main thread (the test runner loads every file under test/).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Arena, type ArenaMemory } from '../../../src/vm/arena.js';
import { FrameRunner } from '../../../src/vm/runtime/frame-runner.js';
import { InterpEngine } from '../../../src/vm/runtime/interp-engine.js';
import { Runtime, type RuntimeDesc } from '../../../src/vm/runtime/runtime.js';

export interface HashWorkerData {
  readonly memory: ArenaMemory;
  readonly desc: RuntimeDesc;
  readonly cpu: number;
  readonly frames: number;
  readonly keys: number;
  /** Int32Array over a SharedArrayBuffer: a start barrier, so both workers hit the map at once. */
  readonly barrier: Int32Array;
}

if (!isMainThread && parentPort) {
  const d = workerData as HashWorkerData;
  const rt = Runtime.attach(Arena.attach(d.memory), d.desc);
  const runner = new FrameRunner(rt, new InterpEngine(rt).prepare(rt.programs.get('count')!), { cpu: d.cpu });
  Atomics.add(d.barrier, 0, 1);
  while (Atomics.load(d.barrier, 0) < 2) { /* both workers start together */ }
  const data = new Uint8Array(20);
  const errors: string[] = [];
  for (let i = 0; i < d.frames; i++) {
    data[0] = (i % d.keys) & 0xff;
    data[1] = (i % d.keys) >> 8;
    const r = runner.run(i, data).record;
    if (r.error) errors.push(r.error);
  }
  runner.dispose();
  parentPort.postMessage({ errors });
}
