/**
 * One thing `xdpjit bench` times: an object's entry program, loaded as `xdpjit run` loads it (design.md §5:
 * `.rodata` lines before verification, every XDP program verified, maps created in the arena, the other
 * `--maps` lines applied after load), prepared by one engine, with the capture's frames placed in the arena
 * once per CPU (frame-set.ts). The program runs over the frames block by block (BLOCK_FRAMES), on this
 * thread for one CPU, on one worker thread per CPU otherwise (cpu-workers.ts):
 *   - jit: one `run_batch` call per block (design.md §3: JS enters wasm once per batch);
 *   - interp: the checked reference interpreter, frame by frame, doing what run_batch does per frame (clear
 *     the redirect state, write the action back into the descriptor).
 */
import { XdpAction } from '../ebpf/opcodes.js';
import type { ObjectSpec } from '../ebpf/object-spec.js';
import { verify } from '../verifier/index.js';
import type { Arena } from '../vm/arena.js';
import { DESC_SIZE, Desc, REDIRECT_STATE, RedirectState, cpuRegion } from '../vm/arena-layout.js';
import { WallClock } from '../vm/clock.js';
import { RuntimeFault, type ExecProgram } from '../vm/exec-types.js';
import { applyMapLines, applyRodataLines, type MapsLine } from '../vm/maps-file.js';
import { InterpEngine } from '../vm/runtime/interp-engine.js';
import { actionName } from '../vm/runtime/frame-runner.js';
import { selectProgram } from '../vm/runtime/run-capture.js';
import { Runtime, type RuntimeOptions } from '../vm/runtime/runtime.js';
import { UnsupportedFeatureError } from '../ebpf/loader-errors.js';
import { JitEngine } from '../../jit/xdp-engine.js';
import { BenchInputError } from './bench-errors.js';
import { placeFrames, type FrameSet } from './frame-set.js';
import type { Timed } from './measure.js';
import { CpuWorkers } from './cpu-workers.js';

export type BenchEngine = 'jit' | 'interp';

/** What one counted pass saw: the action of every frame, and the frames that faulted. */
export interface PassOutcome {
  readonly actions: Readonly<Record<string, number>>;
  readonly errors: number;
  /** The first fault's message (interpreter) or the frame index that faulted (JIT). */
  readonly firstError?: string;
}

/**
 * Replay in blocks: BLOCK_FRAMES consecutive frames are run BLOCK_REPEAT times in a row before the next
 * block, so the packet bytes and descriptors a step touches stay in cache as the kernel's test_run keeps its
 * one frame while it repeats it (each frame has its own 4 KiB slot, so flood64's 8,192 frames span 32 MiB;
 * a straight pass over them cost proto_count 10.1 ns/packet on the JIT against 8.2 in blocks, side by side).
 */
export const BLOCK_FRAMES = 64;
export const BLOCK_REPEAT = 8;

/** One CPU replaying one frame set through one prepared program. */
export interface CpuRunner {
  /** Runs `steps` steps (each: the next block BLOCK_REPEAT times, cycling over the blocks); returns the packets run. */
  run(steps: number): number;
  /** An untimed pass over every frame once, clearing Desc.ERROR first (read the outcome with readOutcome). */
  countedPass(): void;
  /** The interpreter's first fault message of the last counted pass (the JIT marks frames only). */
  readonly lastFault?: string;
}

export interface BenchSubject extends Timed {
  readonly program: string;
  readonly engine: BenchEngine;
  readonly frames: number;
  /** An untimed pass over every frame once (CPU 0's copy), reading each frame's action and fault back. */
  countedPass(): PassOutcome;
  /** Stops the subject's worker threads, if it has any. */
  close(): Promise<void>;
}

export interface LoadOptions {
  readonly program?: string;
  readonly mapLines?: readonly MapsLine[];
  readonly seed?: number;
}

export interface LoadedProgram {
  readonly runtime: Runtime;
  readonly program: ExecProgram;
}

/**
 * `spec`'s entry program loaded into `arena` as `xdpjit run` loads it: `.rodata` lines applied, every XDP
 * program of the object verified (tail-call targets run too, as the daemon's loader has it), maps created,
 * the other lines written.
 */
export function loadProgram(arena: Arena, spec: ObjectSpec, opts: LoadOptions = {}): LoadedProgram {
  const entry = selectProgram(spec, opts.program);
  const lines = opts.mapLines ?? [];
  const loaded = applyRodataLines(spec, lines);
  for (const p of loaded.programs) verify(p, loaded);
  const runtime = Runtime.load(arena, loaded, runtimeOptions(opts.seed ?? 0));
  applyMapLines(runtime, loaded, lines);
  const program = runtime.programs.get(entry.name);
  if (!program) throw new UnsupportedFeatureError(entry.name, `program '${entry.name}' was not linked`);
  return { runtime, program };
}

/** Helpers' time is wall time here, as it is for the kernel's test_run the figures are set beside. */
export function runtimeOptions(seed: number): RuntimeOptions {
  return { clock: new WallClock(seed), seed, events: () => undefined };
}

/** Each frame's action and fault as the last pass over `set` left them in the descriptors. */
export function readOutcome(arena: Arena, set: FrameSet, lastFault?: string): PassOutcome {
  const actions: Record<string, number> = {};
  let errors = 0;
  let firstError = lastFault;
  const u32 = arena.u32;
  for (let i = 0; i < set.count; i++) {
    const d = set.desc + i * DESC_SIZE;
    const name = actionName(u32[(d + Desc.ACTION) >>> 2]!);
    actions[name] = (actions[name] ?? 0) + 1;
    if (u32[(d + Desc.ERROR) >>> 2] !== 0) {
      errors++;
      firstError ??= `frame ${i} faulted`;
    }
  }
  return { actions, errors, ...(errors > 0 && firstError !== undefined ? { firstError } : {}) };
}

/** Prepares `program` on `engine` and replays `set` on `cpu`. */
export function cpuRunner(runtime: Runtime, program: ExecProgram, engine: BenchEngine, cpu: number, set: FrameSet): CpuRunner {
  const arena = runtime.arena;
  const { desc, count } = set;
  const blocks = Math.max(1, Math.ceil(count / BLOCK_FRAMES));
  let next = 0;
  const stepsWith = (run: (first: number, n: number) => void, steps: number): number => {
    let packets = 0;
    for (let s = 0; s < steps; s++) {
      const first = next * BLOCK_FRAMES;
      const n = Math.min(BLOCK_FRAMES, count - first);
      next = (next + 1) % blocks;
      const at = desc + first * DESC_SIZE;
      for (let r = 0; r < BLOCK_REPEAT; r++) run(at, n);
      packets += n * BLOCK_REPEAT;
    }
    return packets;
  };
  const clearErrors = (): void => {
    const u32 = arena.u32;
    for (let i = 0; i < count; i++) u32[(desc + i * DESC_SIZE + Desc.ERROR) >>> 2] = 0;
  };

  if (engine === 'jit') {
    const prepared = new JitEngine(runtime).prepare(program);
    const run = (first: number, n: number): void => prepared.runBatch(first, n, cpu);
    return {
      run: (steps) => stepsWith(run, steps),
      countedPass: () => { clearErrors(); run(desc, count); },
    };
  }

  const prepared = new InterpEngine(runtime).prepare(program);
  const redirectKind = (cpuRegion(cpu) + REDIRECT_STATE + RedirectState.KIND) >>> 2;
  const state: { lastFault?: string } = {};
  // What run_batch does per frame, around the interpreter: clear the redirect state, write the action back.
  const run = (first: number, n: number): void => {
    const u32 = arena.u32;
    for (let i = 0; i < n; i++) {
      const d = first + i * DESC_SIZE;
      u32[redirectKind] = 0;
      let action: number;
      try {
        action = Number(BigInt.asUintN(32, prepared.runFrame(d, cpu)));
      } catch (e) {
        if (!(e instanceof RuntimeFault)) throw e;
        state.lastFault ??= `frame ${(d - desc) / DESC_SIZE}: ${e.message}`;
        u32[(d + Desc.ERROR) >>> 2] = 1;
        action = XdpAction.ABORTED;
      }
      u32[(d + Desc.ACTION) >>> 2] = action;
    }
  };
  return {
    run: (steps) => stepsWith(run, steps),
    countedPass: () => { clearErrors(); delete state.lastFault; run(desc, count); },
    get lastFault() { return state.lastFault; },
  };
}

export interface LoadSubjectOptions extends LoadOptions {
  readonly engine: BenchEngine;
  readonly ifindex?: number;
  /** CPUs replaying side by side, each its own copy of the frames (rx_queue_index = its CPU): 1 runs on this thread. */
  readonly cpus?: number;
}

/** Loads `spec`'s entry program and places one copy of `frames` per CPU; a subject for measureSideBySide. */
export async function loadSubject(arena: Arena, spec: ObjectSpec, frames: readonly Uint8Array[], opts: LoadSubjectOptions): Promise<BenchSubject> {
  if (frames.length === 0) throw new BenchInputError('the capture holds no frames');
  const { runtime, program } = loadProgram(arena, spec, opts);
  const cpus = opts.cpus ?? 1;
  const sets = Array.from({ length: cpus }, (_, cpu) => placeFrames(arena, frames, { rxQueue: cpu, ...(opts.ifindex !== undefined ? { ifindex: opts.ifindex } : {}) }));
  const base = { program: program.name, engine: opts.engine, frames: frames.length };
  if (cpus === 1) {
    const runner = cpuRunner(runtime, program, opts.engine, 0, sets[0]!);
    return {
      ...base,
      run: (steps) => runner.run(steps),
      countedPass: () => { runner.countedPass(); return readOutcome(arena, sets[0]!, runner.lastFault); },
      close: async () => undefined,
    };
  }
  // Prepared here first too, so that a program the engine refuses (JitCompileError...) fails with its own
  // typed error rather than as a worker's message.
  cpuRunner(runtime, program, opts.engine, 0, sets[0]!);
  const group = await CpuWorkers.start(arena, runtime, program.name, opts.engine, sets, opts.seed ?? 0);
  return {
    ...base,
    run: (steps) => group.run(steps),
    countedPass: () => { group.countedPass(); return readOutcome(arena, sets[0]!); },
    close: () => group.close(),
  };
}
