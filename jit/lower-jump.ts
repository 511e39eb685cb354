/**
 * Conditions of JMP / JMP32 conditional jumps (RFC 9669 §4.3) as i32 wasm conditions. JMP compares 64-bit
 * values (a K operand is the immediate sign-extended to 64 bits); JMP32 compares the low 32 bits.
 */
import type { Insn } from '../src/ebpf/insn.js';
import { Class, JmpOp, Source, classOf, opOf, sourceOf } from '../src/ebpf/opcodes.js';
import { JitCompileError } from './errors.js';
import type { Expr, LowerContext } from './lower-context.js';

export function lowerCondition(ctx: LowerContext, insn: Insn, at: number): Expr {
  const { m } = ctx;
  const is32 = classOf(insn.code) === Class.JMP32;
  const isK = sourceOf(insn.code) === Source.K;
  const ops = is32 ? m.i32 : m.i64;
  const a = is32 ? m.i32.wrap(ctx.get(insn.dst)) : ctx.get(insn.dst);
  const b = isK ? (is32 ? ctx.imm32(insn.imm) : ctx.imm64(BigInt(insn.imm))) : is32 ? m.i32.wrap(ctx.get(insn.src)) : ctx.get(insn.src);
  switch (opOf(insn.code)) {
    case JmpOp.JEQ: return ops.eq(a, b);
    case JmpOp.JNE: return ops.ne(a, b);
    case JmpOp.JGT: return ops.gt_u(a, b);
    case JmpOp.JGE: return ops.ge_u(a, b);
    case JmpOp.JLT: return ops.lt_u(a, b);
    case JmpOp.JLE: return ops.le_u(a, b);
    case JmpOp.JSGT: return ops.gt_s(a, b);
    case JmpOp.JSGE: return ops.ge_s(a, b);
    case JmpOp.JSLT: return ops.lt_s(a, b);
    case JmpOp.JSLE: return ops.le_s(a, b);
    case JmpOp.JSET: return is32 ? m.i32.ne(m.i32.and(a, b), m.i32.const(0)) : m.i64.ne(m.i64.and(a, b), m.i64.const(0n));
    default: throw new JitCompileError(`jump operation 0x${opOf(insn.code).toString(16)}`, ctx.program, at);
  }
}
