/**
 * What the verifier hands the JIT: facts proven over every path, per instruction.
 */
import type { RegionKind } from './domain/memory.js';

export interface InsnFact {
  /** Bit r set: register r holds a value whose upper 32 bits are zero on every path reaching this insn. */
  readonly regs32: number;
  /** Conditional jumps: a side never taken on any path. */
  readonly deadBranch?: 'taken' | 'fallthrough';
  /** Memory instructions: the object kind accessed ('mixed' when paths disagree) and the constant offset. */
  readonly access?: { readonly region: RegionKind | 'mixed'; readonly offset?: number };
}

export interface VerifiedProgram {
  readonly name: string;
  readonly section: string;
  readonly insnCount: number;
  /** Instructions processed by abstract interpretation (the kernel's "processed N insns"). */
  readonly processed: number;
  /** Checkpoint states stored for pruning (the kernel's total_states). */
  readonly states: number;
  /** Deepest stack use per function start (bytes, rounded up to 16 as for the JIT). */
  readonly stackDepth: ReadonlyMap<number, number>;
  readonly ms: number;
  /** Indexed by instruction; undefined for unreachable second slots of LD_IMM64. */
  readonly facts: readonly (InsnFact | undefined)[];
  /** Kernel-style per-instruction log when requested (opts.log). */
  readonly log?: string;
}
