/**
 * A bench CPU worker (cpu-workers.ts): attaches to the shared arena, rebuilds the loaded runtime from its
 * description, prepares the program on its engine and serves RUN / COUNT commands until EXIT.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Arena } from '../vm/arena.js';
import { Runtime } from '../vm/runtime/runtime.js';
import { cpuRunner, runtimeOptions, type CpuRunner } from './bench-subject.js';
import { Cmd, Ctl, type CpuWorkerData } from './cpu-workers.js';

const data = workerData as CpuWorkerData;
const ctl = new Int32Array(data.ctl);

function prepare(): CpuRunner {
  const arena = Arena.attach(data.memory);
  const runtime = Runtime.attach(arena, data.runtime, runtimeOptions(data.seed));
  const program = runtime.programs.get(data.entry);
  if (!program) throw new Error(`no program '${data.entry}' in the runtime`);
  return cpuRunner(runtime, program, data.engine, data.cpu, data.set);
}

let runner: CpuRunner;
try {
  runner = prepare();
  parentPort!.postMessage({ ready: true });
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message });
  process.exit(1);
}

let seen = 0;
for (;;) {
  Atomics.wait(ctl, Ctl.SEQ, seen);
  seen = Atomics.load(ctl, Ctl.SEQ);
  const cmd = ctl[Ctl.CMD];
  if (cmd === Cmd.EXIT) break;
  try {
    if (cmd === Cmd.RUN) {
      ctl[Ctl.RESULT] = runner.run(ctl[Ctl.ARG]!);
    } else {
      runner.countedPass();
      ctl[Ctl.RESULT] = 0;
    }
  } catch (e) {
    data.errors.postMessage((e as Error).message);
    ctl[Ctl.RESULT] = -1;
  }
  Atomics.store(ctl, Ctl.DONE, seen);
  Atomics.notify(ctl, Ctl.DONE);
}
data.errors.close();
