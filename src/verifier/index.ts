/**
 * The verifier (design.md §1, §4a): ProgramSpec + ObjectSpec → VerifiedProgram | VerifierError, in the
 * kernel verifier's model (kernel/bpf/verifier.c) and PREVAIL's split of *what must hold* from *how it is
 * proved*:
 *
 *   cfg.ts            static structure: decoding, reserved fields, jump targets, functions, reachability,
 *                     register liveness (check_subprogs / check_cfg)
 *   assertions.ts     what must hold: the assertions each instruction carries (initialised registers,
 *                     in-bounds accesses, helper argument kinds, released references...)
 *   domain/           how it is proved: tnum + scalar bounds (tnum.ts, scalar.ts), register types (reg.ts),
 *                     call frames and stack slots (state.ts), memory regions (memory.ts), helper
 *                     arguments and the rest (discharge.ts), spin-lock layout from BTF (spin-lock.ts)
 *   interpreter.ts    the abstract interpreter: every path, branch refinement, pointer arithmetic, calls,
 *                     callbacks, global functions, pruning with states_equal-style subsumption
 *   log.ts            kernel-style state printing (errors and the -v log)
 */
export { verify, INSN_BUDGET, type VerifyOptions } from './interpreter.js';
export { VerifierError, formatVerifierError, type VerifierErrorDetail, type SourceLine } from './errors.js';
export type { VerifiedProgram, InsnFact } from './verified-program.js';
export type { RegionKind } from './domain/memory.js';
export { assertionsOf, assertionString, type Assertion } from './assertions.js';
