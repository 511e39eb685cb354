/** The engines `--engine` can name. */
import type { EngineFactory } from './engine.js';
import { InterpEngine } from './interp-engine.js';

export const ENGINES: Readonly<Record<'interp' | 'jit', EngineFactory>> = {
  interp: async (runtime) => new InterpEngine(runtime),
  // Imported on demand: binaryen's start-up (about a second) stays out of interpreter-only runs.
  jit: async (runtime, options) => (await import('../../../jit/xdp-engine.js')).createJitEngine(runtime, options),
};

export type EngineName = keyof typeof ENGINES;
