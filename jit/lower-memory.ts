/**
 * Loads, stores and atomics (RFC 9669 §5) as plain wasm memory accesses at the 32-bit arena address: the
 * register holds the arena offset zero-extended (design.md §2), so the address is the register's low word.
 * A non-negative `off` goes into the wasm memarg offset; a negative one is added with wrap-around first.
 * Atomics lower to wasm atomic RMW / cmpxchg on the shared arena (design.md §2).
 */
import binaryen from 'binaryen';
import type { Insn } from '../src/ebpf/insn.js';
import { AtomicOp, Class, Mode, Size, classOf, modeOf, sizeBytes, sizeOf } from '../src/ebpf/opcodes.js';
import { JitCompileError } from './errors.js';
import type { Expr, LowerContext } from './lower-context.js';

interface Address { readonly ptr: Expr; readonly offset: number }

/** The unhardened address: the register's low word, a non-negative `off` in the memarg. */
export function plainAddress(ctx: LowerContext, reg: number, off: number): Address {
  const { m } = ctx;
  const base = m.i32.wrap(ctx.get(reg));
  return off >= 0 ? { ptr: base, offset: off } : { ptr: m.i32.add(base, m.i32.const(off)), offset: 0 };
}

/** Truncate an i64 value to `bytes` and zero-extend (what a store followed by a zero-extending load yields). */
function truncate(ctx: LowerContext, value: Expr, bytes: number): Expr {
  const { m } = ctx;
  if (bytes === 8) return value;
  return m.i64.and(value, m.i64.const(bytes === 4 ? 0xffffffffn : bytes === 2 ? 0xffffn : 0xffn));
}

function signExtend(ctx: LowerContext, value: Expr, bytes: number): Expr {
  const { m } = ctx;
  if (bytes === 1) return m.i64.extend8_s(value);
  if (bytes === 2) return m.i64.extend16_s(value);
  if (bytes === 4) return m.i64.extend32_s(value);
  return value;
}

export function lowerLoad(ctx: LowerContext, insn: Insn, at: number): Expr {
  const { m } = ctx;
  const mode = modeOf(insn.code);
  if (mode !== Mode.MEM && mode !== Mode.MEMSX) throw new JitCompileError(`LDX mode 0x${mode.toString(16)}`, ctx.program, at);
  const bytes = sizeBytes(sizeOf(insn.code));
  const signed = mode === Mode.MEMSX;
  if (signed && bytes === 8) throw new JitCompileError('LDSX of a double word', ctx.program, at);
  const folded = ctx.constantLoad(insn.src, insn.off, bytes, signed);
  if (folded !== undefined) return ctx.set(insn.dst, m.i64.const(folded));
  const slot = ctx.promotedSlot(insn.src, insn.off, bytes);
  if (slot !== undefined) {
    const v = m.local.get(slot, binaryen.i64);
    return ctx.set(insn.dst, signed ? signExtend(ctx, v, bytes) : v);
  }
  const { ptr, offset } = ctx.accessAddress(insn.src, insn.off, bytes, at);
  let value: Expr;
  switch (bytes) {
    case 1: value = signed ? m.i64.load8_s(offset, 1, ptr) : m.i64.load8_u(offset, 1, ptr); break;
    case 2: value = signed ? m.i64.load16_s(offset, 2, ptr) : m.i64.load16_u(offset, 2, ptr); break;
    case 4: value = signed ? m.i64.load32_s(offset, 4, ptr) : m.i64.load32_u(offset, 4, ptr); break;
    default: value = m.i64.load(offset, 8, ptr);
  }
  return ctx.set(insn.dst, value);
}

/** ST (immediate, sign-extended for DW) and STX MEM. */
export function lowerStore(ctx: LowerContext, insn: Insn, at: number): Expr {
  const { m } = ctx;
  const mode = modeOf(insn.code);
  if (classOf(insn.code) === Class.STX && mode === Mode.ATOMIC) return lowerAtomic(ctx, insn, at);
  if (mode !== Mode.MEM) throw new JitCompileError(`store mode 0x${mode.toString(16)}`, ctx.program, at);
  const bytes = sizeBytes(sizeOf(insn.code));
  const value = classOf(insn.code) === Class.ST ? ctx.imm64(BigInt(insn.imm)) : ctx.get(insn.src);
  const slot = ctx.promotedSlot(insn.dst, insn.off, bytes);
  if (slot !== undefined) return m.local.set(slot, truncate(ctx, value, bytes));
  const { ptr, offset } = ctx.accessAddress(insn.dst, insn.off, bytes, at);
  switch (bytes) {
    case 1: return m.i64.store8(offset, 1, ptr, value);
    case 2: return m.i64.store16(offset, 2, ptr, value);
    case 4: return m.i64.store32(offset, 4, ptr, value);
    default: return m.i64.store(offset, 8, ptr, value);
  }
}

/**
 * BPF_ATOMIC (RFC 9669 §5.3): ADD/OR/AND/XOR (with FETCH: src = old value), XCHG (src = old), CMPXCHG
 * (compare with r0, r0 = old). 32-bit forms zero-extend what they load into the register.
 */
function lowerAtomic(ctx: LowerContext, insn: Insn, at: number): Expr {
  const { m } = ctx;
  const size = sizeOf(insn.code);
  if (size !== Size.W && size !== Size.DW) throw new JitCompileError('atomic operation on a byte or half word', ctx.program, at);
  const wide = size === Size.DW;
  const { ptr, offset } = ctx.accessAddress(insn.dst, insn.off, wide ? 8 : 4, at);
  const srcVal = (): Expr => (wide ? ctx.get(insn.src) : m.i32.wrap(ctx.get(insn.src)));
  const widen = (v: Expr): Expr => (wide ? v : m.i64.extend_u(v));
  const rmw = wide ? m.i64.atomic.rmw : m.i32.atomic.rmw;
  if (insn.imm === AtomicOp.CMPXCHG) {
    const expected = wide ? ctx.get(0) : m.i32.wrap(ctx.get(0));
    return ctx.set(0, widen(rmw.cmpxchg(offset, ptr, expected, srcVal())));
  }
  if (insn.imm === AtomicOp.XCHG) return ctx.set(insn.src, widen(rmw.xchg(offset, ptr, srcVal())));
  const fetch = (insn.imm & AtomicOp.FETCH) !== 0;
  let old: Expr;
  switch (insn.imm & ~AtomicOp.FETCH) {
    case AtomicOp.ADD: old = rmw.add(offset, ptr, srcVal()); break;
    case AtomicOp.OR: old = rmw.or(offset, ptr, srcVal()); break;
    case AtomicOp.AND: old = rmw.and(offset, ptr, srcVal()); break;
    case AtomicOp.XOR: old = rmw.xor(offset, ptr, srcVal()); break;
    default: throw new JitCompileError(`atomic operation 0x${insn.imm.toString(16)}`, ctx.program, at);
  }
  return fetch ? ctx.set(insn.src, widen(old)) : m.drop(old);
}
