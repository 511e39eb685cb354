/**
 * ALU and ALU64 instructions (RFC 9669 §4.1–4.2) as Binaryen expressions.
 *
 * 32-bit forms compute in i32 and zero-extend the result into the 64-bit register, as RFC 9669 §4.1
 * requires. Wasm traps on division by zero and on INT_MIN / -1, eBPF does not, so every DIV/MOD whose
 * divisor is not a known non-zero constant is guarded:
 *   DIV by 0 → 0; MOD by 0 → dividend (for ALU, the dividend's low 32 bits);
 *   SDIV by -1 → 0 - dividend (wrapping, so INT_MIN / -1 = INT_MIN); SMOD by -1 → 0.
 * Shift counts are masked to the operand width (the 12 out-of-range shift vectors rely on it; wasm's
 * shifts already take the count modulo the width).
 */
import type { Insn } from '../src/ebpf/insn.js';
import { AluOp, Class, Source, classOf, opOf, sourceOf } from '../src/ebpf/opcodes.js';
import { JitCompileError } from './errors.js';
import { byteSwap } from './byte-swap.js';
import type { Expr, LowerContext } from './lower-context.js';

export function lowerAlu(ctx: LowerContext, insn: Insn, at: number): Expr {
  const is64 = classOf(insn.code) === Class.ALU64;
  const op = opOf(insn.code);
  if (op === AluOp.END) return ctx.set(insn.dst, lowerEnd(ctx, insn, is64, at));
  const value = is64 ? lowerAlu64(ctx, insn, op, at) : ctx.m.i64.extend_u(lowerAlu32(ctx, insn, op, at));
  return ctx.set(insn.dst, value);
}

function lowerEnd(ctx: LowerContext, insn: Insn, is64: boolean, at: number): Expr {
  const { m } = ctx;
  const width = insn.imm;
  if (width !== 16 && width !== 32 && width !== 64) throw new JitCompileError(`byte swap width ${width}`, ctx.program, at);
  // ALU64 END is the unconditional BSWAP (v4); ALU END with K converts to little endian (a truncation on this
  // little-endian machine), with X to big endian (a swap).
  const swap = is64 || sourceOf(insn.code) === Source.X;
  if (swap) return byteSwap(ctx, ctx.get(insn.dst), width);
  if (width === 64) return ctx.get(insn.dst);
  return m.i64.and(ctx.get(insn.dst), m.i64.const(width === 16 ? 0xffffn : 0xffffffffn));
}

function lowerAlu64(ctx: LowerContext, insn: Insn, op: number, at: number): Expr {
  const { m } = ctx;
  const isK = sourceOf(insn.code) === Source.K;
  const immK = BigInt(insn.imm); // sign-extended to 64 bits, RFC 9669 §4.1
  const src = (): Expr => (isK ? ctx.imm64(immK) : ctx.get(insn.src));
  const dst = (): Expr => ctx.get(insn.dst);
  const signed = insn.off === 1;
  switch (op) {
    case AluOp.ADD: return m.i64.add(dst(), src());
    case AluOp.SUB: return m.i64.sub(dst(), src());
    case AluOp.MUL: return m.i64.mul(dst(), src());
    case AluOp.OR: return m.i64.or(dst(), src());
    case AluOp.AND: return m.i64.and(dst(), src());
    case AluOp.XOR: return m.i64.xor(dst(), src());
    case AluOp.LSH: return m.i64.shl(dst(), isK ? ctx.imm64(BigInt(insn.imm & 63)) : src());
    case AluOp.RSH: return m.i64.shr_u(dst(), isK ? ctx.imm64(BigInt(insn.imm & 63)) : src());
    case AluOp.ARSH: return m.i64.shr_s(dst(), isK ? ctx.imm64(BigInt(insn.imm & 63)) : src());
    case AluOp.NEG: return m.i64.sub(m.i64.const(0n), dst());
    case AluOp.MOV:
      switch (insn.off) {
        case 0: return src();
        case 8: return m.i64.extend8_s(src());
        case 16: return m.i64.extend16_s(src());
        case 32: return m.i64.extend32_s(src());
        default: throw new JitCompileError(`MOVSX offset ${insn.off}`, ctx.program, at);
      }
    case AluOp.DIV:
    case AluOp.MOD: {
      const isDiv = op === AluOp.DIV;
      if (isK) {
        if (insn.imm === 0) return isDiv ? m.i64.const(0n) : dst();
        if (signed && insn.imm === -1) return isDiv ? m.i64.sub(m.i64.const(0n), dst()) : m.i64.const(0n);
        if (isDiv) return signed ? m.i64.div_s(dst(), src()) : m.i64.div_u(dst(), src());
        return signed ? m.i64.rem_s(dst(), src()) : m.i64.rem_u(dst(), src());
      }
      const zero = m.i64.eqz(src());
      if (!signed) {
        return isDiv
          ? m.if(zero, m.i64.const(0n), m.i64.div_u(dst(), src()))
          : m.if(zero, dst(), m.i64.rem_u(dst(), src()));
      }
      const minusOne = m.i64.eq(src(), m.i64.const(-1n));
      // wasm's rem_s does not trap on INT_MIN % -1 (it yields 0), so only SDIV needs the -1 guard.
      return isDiv
        ? m.if(zero, m.i64.const(0n), m.if(minusOne, m.i64.sub(m.i64.const(0n), dst()), m.i64.div_s(dst(), src())))
        : m.if(zero, dst(), m.i64.rem_s(dst(), src()));
    }
    default:
      throw new JitCompileError(`unknown ALU64 operation 0x${op.toString(16)}`, ctx.program, at);
  }
}

/** The i32 result of a 32-bit ALU operation (caller zero-extends). */
function lowerAlu32(ctx: LowerContext, insn: Insn, op: number, at: number): Expr {
  const { m } = ctx;
  const isK = sourceOf(insn.code) === Source.K;
  const src = (): Expr => (isK ? ctx.imm32(insn.imm) : m.i32.wrap(ctx.get(insn.src)));
  const dst = (): Expr => m.i32.wrap(ctx.get(insn.dst));
  const signed = insn.off === 1;
  switch (op) {
    case AluOp.ADD: return m.i32.add(dst(), src());
    case AluOp.SUB: return m.i32.sub(dst(), src());
    case AluOp.MUL: return m.i32.mul(dst(), src());
    case AluOp.OR: return m.i32.or(dst(), src());
    case AluOp.AND: return m.i32.and(dst(), src());
    case AluOp.XOR: return m.i32.xor(dst(), src());
    case AluOp.LSH: return m.i32.shl(dst(), isK ? ctx.imm32(insn.imm & 31) : src());
    case AluOp.RSH: return m.i32.shr_u(dst(), isK ? ctx.imm32(insn.imm & 31) : src());
    case AluOp.ARSH: return m.i32.shr_s(dst(), isK ? ctx.imm32(insn.imm & 31) : src());
    case AluOp.NEG: return m.i32.sub(m.i32.const(0), dst());
    case AluOp.MOV:
      switch (insn.off) {
        case 0: return src();
        case 8: return m.i32.extend8_s(src());
        case 16: return m.i32.extend16_s(src());
        default: throw new JitCompileError(`MOVSX32 offset ${insn.off}`, ctx.program, at);
      }
    case AluOp.DIV:
    case AluOp.MOD: {
      const isDiv = op === AluOp.DIV;
      if (isK) {
        if (insn.imm === 0) return isDiv ? m.i32.const(0) : dst();
        if (signed && insn.imm === -1) return isDiv ? m.i32.sub(m.i32.const(0), dst()) : m.i32.const(0);
        if (isDiv) return signed ? m.i32.div_s(dst(), src()) : m.i32.div_u(dst(), src());
        return signed ? m.i32.rem_s(dst(), src()) : m.i32.rem_u(dst(), src());
      }
      const zero = m.i32.eqz(src());
      if (!signed) {
        return isDiv
          ? m.if(zero, m.i32.const(0), m.i32.div_u(dst(), src()))
          : m.if(zero, dst(), m.i32.rem_u(dst(), src()));
      }
      const minusOne = m.i32.eq(src(), m.i32.const(-1));
      return isDiv
        ? m.if(zero, m.i32.const(0), m.if(minusOne, m.i32.sub(m.i32.const(0), dst()), m.i32.div_s(dst(), src())))
        : m.if(zero, dst(), m.i32.rem_s(dst(), src()));
    }
    default:
      throw new JitCompileError(`unknown ALU operation 0x${op.toString(16)}`, ctx.program, at);
  }
}
