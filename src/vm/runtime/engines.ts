/** The engines `--engine` can name. */
import { EngineUnavailableError, type EngineFactory } from './engine.js';
import { InterpEngine } from './interp-engine.js';

export const ENGINES: Readonly<Record<'interp' | 'jit', EngineFactory>> = {
  interp: async (runtime) => new InterpEngine(runtime),
  jit: async () => { throw new EngineUnavailableError('jit', 'JIT engine not available yet'); },
};

export type EngineName = keyof typeof ENGINES;
