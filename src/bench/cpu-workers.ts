/**
 * `xdpjit bench --cpus N`: one worker thread per CPU, each replaying its own copy of the frames through its
 * own instance of the program against the one shared arena (design.md §2: every worker instantiates the
 * compiled module over the same memory, so shared maps see the CPUs' concurrent updates).
 *
 * The main thread drives the workers synchronously, so that measure.ts's rounds work unchanged: a command
 * goes through a small shared control block and Atomics.notify, and the main thread sleeps in Atomics.wait
 * until every worker is done (asleep, it adds no CPU time to the samples). A worker that fails reports its
 * error on a MessagePort the main thread reads with receiveMessageOnPort.
 *
 * Control block (Int32Array, one per worker):
 * ```
 *  [0] SEQ     command sequence number, bumped by the main thread to issue a command
 *  [1] CMD     Cmd.RUN (ARG steps), Cmd.COUNT (one counted pass), Cmd.EXIT
 *  [2] ARG
 *  [3] DONE    the SEQ the worker finished last
 *  [4] RESULT  packets run, or -1 when the command failed
 * ```
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Arena, ArenaMemory } from '../vm/arena.js';
import type { Runtime, RuntimeDesc } from '../vm/runtime/runtime.js';
import type { FrameSet } from './frame-set.js';

export const Ctl = { SEQ: 0, CMD: 1, ARG: 2, DONE: 3, RESULT: 4, WORDS: 5 } as const;
export const Cmd = { RUN: 1, COUNT: 2, EXIT: 3 } as const;

/** What a worker is started with (structured-cloneable; the memory is the shared arena's). */
export interface CpuWorkerData {
  readonly memory: ArenaMemory;
  readonly ctl: SharedArrayBuffer;
  readonly errors: MessagePort;
  readonly runtime: RuntimeDesc;
  readonly entry: string;
  readonly engine: 'jit' | 'interp';
  readonly cpu: number;
  readonly set: FrameSet;
  readonly seed: number;
}

export class CpuWorkerError extends Error {
  constructor(readonly cpu: number, message: string) {
    super(`bench worker on CPU ${cpu}: ${message}`);
    this.name = 'CpuWorkerError';
  }
}

interface Handle {
  readonly cpu: number;
  readonly worker: Worker;
  readonly ctl: Int32Array;
  readonly errors: MessagePort;
}

const WORKER_MODULE = new URL('./cpu-worker-main.js', import.meta.url);

export class CpuWorkers {
  private constructor(private readonly handles: readonly Handle[]) {}

  /** Starts one worker per frame set (set i runs on CPU i); resolves once every worker has prepared its program. */
  static async start(arena: Arena, runtime: Runtime, entry: string, engine: 'jit' | 'interp', sets: readonly FrameSet[], seed: number): Promise<CpuWorkers> {
    const desc = runtime.describe();
    const handles = sets.map((set, cpu): Handle => {
      const ctl = new SharedArrayBuffer(Ctl.WORDS * 4);
      const { port1, port2 } = new MessageChannel();
      const data: CpuWorkerData = { memory: arena.memory, ctl, errors: port2, runtime: desc, entry, engine, cpu, set, seed };
      const worker = new Worker(WORKER_MODULE, { workerData: data, transferList: [port2] });
      return { cpu, worker, ctl: new Int32Array(ctl), errors: port1 };
    });
    const group = new CpuWorkers(handles);
    try {
      await Promise.all(handles.map((h) => new Promise<void>((resolve, reject) => {
        h.worker.once('message', (m: { ready?: boolean; error?: string }) => (m.ready ? resolve() : reject(new CpuWorkerError(h.cpu, m.error ?? 'failed to start'))));
        h.worker.once('error', (e) => reject(new CpuWorkerError(h.cpu, e.message)));
      })));
    } catch (e) {
      await group.close();
      throw e;
    }
    return group;
  }

  /** Every worker runs `steps` steps at once; returns the packets run by all. */
  run(steps: number): number {
    return this.command(Cmd.RUN, steps);
  }

  /** Every worker makes one counted pass over its frames. */
  countedPass(): void {
    this.command(Cmd.COUNT, 0);
  }

  private command(cmd: number, arg: number): number {
    const seqs = this.handles.map((h) => {
      h.ctl[Ctl.CMD] = cmd;
      h.ctl[Ctl.ARG] = arg;
      const seq = Atomics.add(h.ctl, Ctl.SEQ, 1) + 1;
      Atomics.notify(h.ctl, Ctl.SEQ);
      return seq;
    });
    let packets = 0;
    this.handles.forEach((h, i) => {
      for (let done = Atomics.load(h.ctl, Ctl.DONE); done !== seqs[i]; done = Atomics.load(h.ctl, Ctl.DONE)) {
        Atomics.wait(h.ctl, Ctl.DONE, done, 1000);
        if (h.worker.threadId < 0) throw new CpuWorkerError(h.cpu, 'exited');
      }
      const result = h.ctl[Ctl.RESULT]!;
      if (result < 0) throw new CpuWorkerError(h.cpu, (receiveMessageOnPort(h.errors)?.message as string | undefined) ?? 'command failed');
      packets += result;
    });
    return packets;
  }

  async close(): Promise<void> {
    for (const h of this.handles) {
      h.ctl[Ctl.CMD] = Cmd.EXIT;
      Atomics.add(h.ctl, Ctl.SEQ, 1);
      Atomics.notify(h.ctl, Ctl.SEQ);
      h.errors.close();
    }
    await Promise.all(this.handles.map((h) => (h.worker.threadId < 0 ? undefined : new Promise((resolve) => h.worker.once('exit', resolve)))));
  }
}
