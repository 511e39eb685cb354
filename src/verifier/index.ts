/** The verifier's public surface (design.md §1: ObjectSpec → VerifiedProgram | VerifierError). */
export { verify, INSN_BUDGET, type VerifyOptions } from './interpreter.js';
export { VerifierError, formatVerifierError, type VerifierErrorDetail, type SourceLine } from './errors.js';
export type { VerifiedProgram, InsnFact } from './verified-program.js';
export type { RegionKind } from './domain/memory.js';
export { assertionsOf, assertionString, type Assertion } from './assertions.js';
