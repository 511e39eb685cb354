/**
 * One thing `xdpjit bench` times: an object's entry program, loaded as `xdpjit run` loads it (design.md §5:
 * `.rodata` lines before verification, every XDP program verified, maps created in the arena, the other
 * `--maps` lines applied after load), prepared by one engine, with the capture's frames placed in the arena
 * once (frame-set.ts). The program runs over the frames on one CPU, block by block (BLOCK_FRAMES):
 *   - jit: one `run_batch` call for the whole set (design.md §3: JS enters wasm once per batch);
 *   - interp: the checked reference interpreter, frame by frame, doing what run_batch does per frame (clear
 *     the redirect state, write the action back into the descriptor).
 */
import { XdpAction } from '../ebpf/opcodes.js';
import type { ObjectSpec } from '../ebpf/object-spec.js';
import { verify } from '../verifier/index.js';
import type { Arena } from '../vm/arena.js';
import { DESC_SIZE, Desc, REDIRECT_STATE, RedirectState, cpuRegion } from '../vm/arena-layout.js';
import { WallClock } from '../vm/clock.js';
import { RuntimeFault } from '../vm/exec-types.js';
import { applyMapLines, applyRodataLines, type MapsLine } from '../vm/maps-file.js';
import { InterpEngine } from '../vm/runtime/interp-engine.js';
import { actionName } from '../vm/runtime/frame-runner.js';
import { selectProgram } from '../vm/runtime/run-capture.js';
import { Runtime } from '../vm/runtime/runtime.js';
import { UnsupportedFeatureError } from '../ebpf/loader-errors.js';
import { JitEngine } from '../../jit/xdp-engine.js';
import { BenchInputError } from './bench-errors.js';
import { placeFrames } from './frame-set.js';

export type BenchEngine = 'jit' | 'interp';
export const BENCH_ENGINES: readonly BenchEngine[] = ['jit', 'interp'];

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
 * one frame while it repeats it (each frame in its own 4 KiB slot, flood64's 8,192 frames span 32 MiB: a
 * plain pass over them measures cache and TLB misses, not the program).
 */
export const BLOCK_FRAMES = 64;
export const BLOCK_REPEAT = 8;

export interface BenchSubject {
  readonly program: string;
  readonly engine: BenchEngine;
  readonly frames: number;
  /** Runs the next block BLOCK_REPEAT times (cycling over the blocks); returns the packets run. */
  step(): number;
  /** An untimed pass over every frame once, reading each frame's action and fault back. */
  countedPass(): PassOutcome;
}

export interface LoadSubjectOptions {
  readonly engine: BenchEngine;
  readonly program?: string;
  readonly mapLines?: readonly MapsLine[];
  readonly ifindex?: number;
  /** The CPU the passes run on (its stack, per-CPU map slot and redirect state). */
  readonly cpu?: number;
  readonly seed?: number;
}

/** Verifies, loads and prepares `spec`'s entry program in `arena`, and places `frames` there. */
export async function loadSubject(arena: Arena, spec: ObjectSpec, frames: readonly Uint8Array[], opts: LoadSubjectOptions): Promise<BenchSubject> {
  const entry = selectProgram(spec, opts.program);
  const lines = opts.mapLines ?? [];
  const loaded = applyRodataLines(spec, lines);
  // Every XDP program of the object, as the daemon's loader does: tail-call targets run too.
  for (const p of loaded.programs) verify(p, loaded);
  const seed = opts.seed ?? 0;
  // Helpers' time is wall time here, as it is for the kernel's test_run the figures are set beside.
  const runtime = Runtime.load(arena, loaded, { clock: new WallClock(seed), seed, events: () => undefined });
  applyMapLines(runtime, loaded, lines);
  const program = runtime.programs.get(entry.name);
  if (!program) throw new UnsupportedFeatureError(entry.name, `program '${entry.name}' was not linked`);
  const cpu = opts.cpu ?? 0;
  const set = placeFrames(arena, frames, opts.ifindex !== undefined ? { ifindex: opts.ifindex } : {});
  const { desc, count } = set;
  if (count === 0) throw new BenchInputError('the capture holds no frames');

  const readBack = (): PassOutcome => {
    const actions: Record<string, number> = {};
    let errors = 0;
    let firstError: string | undefined;
    const u32 = arena.u32;
    for (let i = 0; i < count; i++) {
      const d = desc + i * DESC_SIZE;
      const name = actionName(u32[(d + Desc.ACTION) >>> 2]!);
      actions[name] = (actions[name] ?? 0) + 1;
      if (u32[(d + Desc.ERROR) >>> 2] !== 0) {
        errors++;
        firstError ??= `frame ${i} faulted`;
      }
    }
    return { actions, errors, ...(firstError !== undefined ? { firstError } : {}) };
  };
  const clearErrors = (): void => {
    const u32 = arena.u32;
    for (let i = 0; i < count; i++) u32[(desc + i * DESC_SIZE + Desc.ERROR) >>> 2] = 0;
  };

  const blocks = Math.max(1, Math.ceil(count / BLOCK_FRAMES));
  let next = 0;
  /** Runs `run(firstDesc, n)` on the next block BLOCK_REPEAT times. */
  const stepWith = (run: (first: number, n: number) => void): number => {
    const first = next * BLOCK_FRAMES;
    const n = Math.min(BLOCK_FRAMES, count - first);
    next = (next + 1) % blocks;
    const at = desc + first * DESC_SIZE;
    for (let r = 0; r < BLOCK_REPEAT; r++) run(at, n);
    return n * BLOCK_REPEAT;
  };

  if (opts.engine === 'jit') {
    const prepared = new JitEngine(runtime).prepare(program);
    const run = (first: number, n: number): void => prepared.runBatch(first, n, cpu);
    return {
      program: entry.name, engine: 'jit', frames: count,
      step: () => stepWith(run),
      countedPass: () => { clearErrors(); run(desc, count); return readBack(); },
    };
  }

  const prepared = new InterpEngine(runtime).prepare(program);
  const redirectKind = (cpuRegion(cpu) + REDIRECT_STATE + RedirectState.KIND) >>> 2;
  let lastFault: string | undefined;
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
        lastFault ??= `frame ${(d - desc) / DESC_SIZE}: ${e.message}`;
        u32[(d + Desc.ERROR) >>> 2] = 1;
        action = XdpAction.ABORTED;
      }
      u32[(d + Desc.ACTION) >>> 2] = action;
    }
  };
  return {
    program: entry.name, engine: 'interp', frames: count,
    step: () => stepWith(run),
    countedPass: () => {
      clearErrors();
      lastFault = undefined;
      run(desc, count);
      const out = readBack();
      return lastFault !== undefined ? { ...out, firstError: lastFault } : out;
    },
  };
}
