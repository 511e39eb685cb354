/**
 * The engine contract of the frame runner: the reference interpreter and the wasm JIT both implement it.
 * An engine prepares a linked program once (the JIT compiles it), then runs it on one frame descriptor at a
 * time on a given CPU. Frame placement, descriptors, redirect state and results belong to the runtime
 * (frame-runner.ts), so both engines see exactly the same frames.
 */
import type { ExecProgram } from '../exec-types.js';
import type { Runtime } from './runtime.js';

export interface PreparedXdp {
  /**
   * Run the program with r1 = ctx = the descriptor at `desc` (a struct xdp_md) on `cpu` (r10 = that CPU's
   * stack top); returns r0. Throws RuntimeFault for a fault in checked mode or an engine trap.
   */
  runFrame(desc: number, cpu: number): bigint;
}

export interface XdpEngine {
  readonly name: 'interp' | 'jit';
  prepare(program: ExecProgram): PreparedXdp;
}

export interface EngineOptions {
  /** Address masking and constant blinding (design.md §2); the checked interpreter is hardened already. */
  readonly harden?: boolean;
}

/** How an engine is made for a runtime; `src/vm/runtime/engines.ts` lists the available ones. */
export type EngineFactory = (runtime: Runtime, opts: EngineOptions) => Promise<XdpEngine>;

export class EngineUnavailableError extends Error {
  constructor(readonly engine: string, message: string) {
    super(message);
    this.name = 'EngineUnavailableError';
  }
}
