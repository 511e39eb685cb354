/** Instruction constructors for JIT tests that need forms the text assembler does not take (map LD_IMM64). */
import type { Insn } from '../../src/ebpf/insn.js';
import { OP_LD_IMM64 } from '../../src/ebpf/insn.js';
import { Class, JmpOp, PseudoSrc } from '../../src/ebpf/opcodes.js';

export const insn = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });

/** LD_IMM64 dst = value (two slots); `src` selects the pseudo source (1 = map address, already bound). */
export function ldImm64(dst: number, value: bigint, src: number = PseudoSrc.IMM): Insn[] {
  const v = BigInt.asUintN(64, value);
  return [insn(OP_LD_IMM64, dst, src, 0, Number(v & 0xffffffffn) | 0), insn(0, 0, 0, 0, Number(v >> 32n) | 0)];
}

export const callHelper = (id: number): Insn => insn(Class.JMP | JmpOp.CALL, 0, 0, 0, id);
export const exit = (): Insn => insn(Class.JMP | JmpOp.EXIT);
