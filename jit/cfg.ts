/**
 * Control-flow graph of a linked eBPF program: the sub-programs (bpf-to-bpf functions) and, inside each, the
 * basic blocks. The JIT turns each sub-program into one wasm function and each basic block into one
 * Relooper block (jit/function-builder.ts).
 *
 * Sub-program entries are slot 0, every CALL src=1 target and every LD_IMM64 src=4 (BPF_PSEUDO_FUNC, a
 * callback for bpf_loop / for_each_map_elem) target, plus whatever `funcs` lists; a sub-program runs until the
 * next entry, as the kernel's `add_subprog` / `check_subprogs` split them (kernel/bpf/verifier.c).
 */
import type { Insn } from '../src/ebpf/insn.js';
import { OP_LD_IMM64 } from '../src/ebpf/insn.js';
import { CallSrc, Class, JmpOp, PseudoSrc, classOf, opOf } from '../src/ebpf/opcodes.js';
import { JitCompileError } from './errors.js';

export type Terminator =
  | { readonly kind: 'exit' }
  | { readonly kind: 'jump'; readonly target: number }
  /**
   * Conditional jump at the block's last slot: `taken` if the condition holds, else `next` (null when the
   * jump is the sub-program's last slot, so not taking it falls off the end).
   */
  | { readonly kind: 'cond'; readonly taken: number; readonly next: number | null }
  | { readonly kind: 'fallthrough'; readonly next: number }
  /** The last instruction of the sub-program is not a jump or exit: the verifier rejects this. */
  | { readonly kind: 'falloff' };

export interface BasicBlock {
  /** First slot. */
  readonly start: number;
  /** One past the last slot. */
  readonly end: number;
  readonly term: Terminator;
}

export interface SubProgram {
  readonly start: number;
  readonly end: number;
  /** In slot order; blocks[0] is the entry. Keyed by start slot in `byStart`. */
  readonly blocks: readonly BasicBlock[];
  readonly byStart: ReadonlyMap<number, BasicBlock>;
}

/** Width in slots of the instruction at `i` (LD_IMM64 takes two). */
export const slotWidth = (insn: Insn): number => (insn.code === OP_LD_IMM64 ? 2 : 1);

export const isCondJump = (insn: Insn): boolean => {
  const cls = classOf(insn.code);
  if (cls !== Class.JMP && cls !== Class.JMP32) return false;
  const op = opOf(insn.code);
  return op !== JmpOp.JA && op !== JmpOp.CALL && op !== JmpOp.EXIT;
};

/** JA in class JMP uses `off`; JA in class JMP32 (gotol, RFC 9669 §4.3, v4) uses `imm`. */
export function jumpTarget(insn: Insn, i: number): number {
  if (classOf(insn.code) === Class.JMP32 && opOf(insn.code) === JmpOp.JA) return i + insn.imm + 1;
  return i + insn.off + 1;
}

const isJa = (insn: Insn): boolean =>
  (classOf(insn.code) === Class.JMP || classOf(insn.code) === Class.JMP32) && opOf(insn.code) === JmpOp.JA;
const isExit = (insn: Insn): boolean => classOf(insn.code) === Class.JMP && opOf(insn.code) === JmpOp.EXIT;

/** Slot indices where sub-programs begin, sorted, always including 0. */
export function subProgramEntries(insns: readonly Insn[], extra: readonly number[], program: string): number[] {
  const entries = new Set<number>([0, ...extra]);
  for (let i = 0; i < insns.length; i += slotWidth(insns[i]!)) {
    const insn = insns[i]!;
    const pseudoCall = classOf(insn.code) === Class.JMP && opOf(insn.code) === JmpOp.CALL && insn.src === CallSrc.PSEUDO_CALL;
    const pseudoFunc = insn.code === OP_LD_IMM64 && insn.src === PseudoSrc.FUNC;
    if (pseudoCall || pseudoFunc) {
      const t = i + insn.imm + 1;
      if (t < 0 || t >= insns.length) throw new JitCompileError(`call target ${t} outside the program`, program, i);
      entries.add(t);
    }
  }
  return [...entries].sort((a, b) => a - b);
}

export function buildCfg(insns: readonly Insn[], funcStarts: readonly number[], program: string): SubProgram[] {
  if (insns.length === 0) throw new JitCompileError('empty program', program, 0);
  const entries = subProgramEntries(insns, funcStarts, program);
  return entries.map((start, k) => buildSubProgram(insns, start, entries[k + 1] ?? insns.length, program));
}

function buildSubProgram(insns: readonly Insn[], start: number, end: number, program: string): SubProgram {
  const slotStarts = new Set<number>();
  const leaders = new Set<number>([start]);
  for (let i = start; i < end; i += slotWidth(insns[i]!)) {
    slotStarts.add(i);
    const insn = insns[i]!;
    if (isJa(insn) || isCondJump(insn)) {
      leaders.add(jumpTarget(insn, i));
      if (i + 1 < end) leaders.add(i + 1);
    } else if (isExit(insn) && i + 1 < end) {
      leaders.add(i + 1);
    }
  }
  for (const l of leaders) {
    if (l < start || l >= end || !slotStarts.has(l)) {
      throw new JitCompileError(`jump target ${l} is outside sub-program [${start}, ${end}) or inside an LD_IMM64`, program, start);
    }
  }
  const sorted = [...leaders].sort((a, b) => a - b);
  const blocks: BasicBlock[] = sorted.map((s, k) => {
    const blockEnd = sorted[k + 1] ?? end;
    let last = s;
    for (let i = s; i < blockEnd; i += slotWidth(insns[i]!)) last = i;
    const insn = insns[last]!;
    let term: Terminator;
    if (isExit(insn)) term = { kind: 'exit' };
    else if (isJa(insn)) term = { kind: 'jump', target: jumpTarget(insn, last) };
    else if (isCondJump(insn)) {
      term = { kind: 'cond', taken: jumpTarget(insn, last), next: blockEnd < end ? blockEnd : null };
    } else term = blockEnd < end ? { kind: 'fallthrough', next: blockEnd } : { kind: 'falloff' };
    return { start: s, end: blockEnd, term };
  });
  return { start, end, blocks, byStart: new Map(blocks.map((b) => [b.start, b])) };
}
