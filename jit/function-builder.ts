/**
 * One eBPF sub-program → one wasm function `(r1, r2, r3, r4, r5, r10: i64) → r0: i64`.
 *
 * Registers are i64 locals (r1..r5 and r10 are the parameters; r0, r6..r9 are locals, so r6..r9 are
 * callee-saved by construction). Each basic block is lowered to a list of statements plus its branch
 * condition; a Structurer then turns the CFG into structured control flow: jit/structurer.ts (dominator
 * tree, tier 1) or Binaryen's Relooper (relooperStructurer below: any CFG, a label local where irreducible).
 * bpf-to-bpf calls are direct wasm calls with r10 = caller's r10 - 512 (arena-layout.ts: call frame k has
 * r10 = stackTop - k * 512).
 */
import binaryen from 'binaryen';
import type { Insn } from '../src/ebpf/insn.js';
import { OP_LD_IMM64, imm64At } from '../src/ebpf/insn.js';
import { AtomicOp, CallSrc, Class, JmpOp, Mode, PseudoSrc, Source, classOf, modeOf, opOf, sourceOf } from '../src/ebpf/opcodes.js';
import { STACK_FRAME_SIZE } from '../src/vm/arena-layout.js';
import type { BasicBlock, SubProgram } from './cfg.js';
import { slotWidth } from './cfg.js';
import { JitCompileError } from './errors.js';
import { lowerAlu } from './lower-alu.js';
import type { Expr, LowerContext, ModuleSink } from './lower-context.js';
import type { IrBuilder, ValueType } from './ir-builder.js';
import { lowerCondition } from './lower-jump.js';
import { lowerLoad, lowerStore } from './lower-memory.js';
import { HelperId, REGS_SCRATCH_BYTES, subProgramExport } from './module-abi.js';
import { promotableStackSlots, slotKey } from './stack-promotion.js';
import { plainAddress } from './lower-memory.js';
import { blind32, blind64, confineAddress, type HardenSpec } from './harden.js';
import { pointerProvenance, type PointerKind } from './pointer-provenance.js';
import type { TailCallLowering } from './tail-call-table.js';

/** Module-level names the function bodies refer to. */
export const Names = {
  helper: 'helper', clockNow: 'clock_now', tailCall: 'tail_call', stackTop: 'stack_top', regs: 'regs', cpu: 'cpu', redirect: 'redirect', ctx: 'ctx',
} as const;

/** r1..r5 and r10. */
export const SUB_PROGRAM_PARAMS: readonly ValueType[] = [binaryen.i64, binaryen.i64, binaryen.i64, binaryen.i64, binaryen.i64, binaryen.i64];

/** A helper the JIT emits inline instead of calling the JS trampoline; returns r0's new value or undefined. */
export type InlineHelper = (ctx: LowerContext, helperId: number, at: number) => Expr | undefined;

/** Bytes the module may treat as constants: frozen read-only global data (`.rodata`). */
export interface ReadOnlyData {
  /** Arena address of `bytes[0]`. */
  readonly addr: number;
  readonly bytes: Uint8Array;
}

export interface FunctionBuildOptions {
  readonly promoteStack: boolean;
  readonly inlineHelper?: InlineHelper;
  readonly readOnly?: readonly ReadOnlyData[];
  /** bpf_tail_call through the wasm table (jit/tail-call-table.ts); default: the JS path. */
  readonly tailCalls?: TailCallLowering;
  /** Prefix of this program's function names (stages of a fused chain, jit/chain.ts); default none. */
  readonly functionPrefix?: string;
  /** `--harden`: mask accesses to their objects and blind immediates (jit/harden.ts). */
  readonly harden?: HardenSpec;
}

// Local layout: params 0..4 = r1..r5, 5 = r10; then r0, r6, r7, r8, r9; then the Relooper label; then
// promoted stack slots and scratch temps, allocated on demand.
const REG_LOCAL = [6, 0, 1, 2, 3, 4, 7, 8, 9, 10, 5];
const FIXED_VARS = [binaryen.i64, binaryen.i64, binaryen.i64, binaryen.i64, binaryen.i64, binaryen.i32];
const LABEL_LOCAL = 11;
const PARAM_COUNT = 6;

class FunctionLowering implements LowerContext {
  readonly vars: ValueType[] = [...FIXED_VARS];
  private readonly slots = new Map<string, number>();
  private readonly i64Pool: number[] = [];
  private readonly i32Pool: number[] = [];
  private i64Used = 0;
  private i32Used = 0;
  /** Per basic block: registers known to hold a map address (LD_IMM64 src=1). */
  private readonly maps = new Map<number, number>();
  /** Per basic block: registers known to hold a map value address (LD_IMM64 src=2). */
  private readonly values = new Map<number, number>();
  /** Per basic block: registers known to hold a callback's first slot (LD_IMM64 src=4). */
  private readonly callbacks = new Map<number, number>();

  constructor(
    readonly m: IrBuilder,
    readonly module: ModuleSink,
    readonly program: string,
    readonly insns: readonly Insn[],
    readonly sub: SubProgram,
    readonly options: FunctionBuildOptions,
  ) {
    if (options.promoteStack) {
      for (const key of promotableStackSlots(insns, sub)) this.slots.set(key, this.newVar(binaryen.i64));
    }
    const harden = options.harden;
    if (harden !== undefined) {
      this.provenance = pointerProvenance(insns, sub, {
        entryIsContext: true,
        mapOfValue: (addr) => {
          for (const [map, r] of harden.mapValues) if (addr >= r.start && addr < r.end) return map;
          return undefined;
        },
      });
    }
  }

  /** Under --harden: the base register's object kind at each memory instruction. */
  private readonly provenance: Map<number, PointerKind> | undefined;

  get hardened(): boolean {
    return this.options.harden !== undefined;
  }

  imm64(value: bigint): Expr {
    const h = this.options.harden;
    return h === undefined ? this.m.i64.const(value) : blind64(this, h, value);
  }

  imm32(value: number): Expr {
    const h = this.options.harden;
    return h === undefined ? this.m.i32.const(value) : blind32(this, h, value);
  }

  accessAddress(reg: number, off: number, size: number, at: number): { readonly ptr: Expr; readonly offset: number } {
    const h = this.options.harden;
    if (h === undefined) return plainAddress(this, reg, off);
    const addr = this.m.i32.add(this.m.i32.wrap(this.get(reg)), this.m.i32.const(off));
    const kind = this.provenance?.get(at) ?? 'unknown';
    return { ptr: confineAddress(this, h, kind, addr, size, { stackTop: Names.stackTop, ctx: Names.ctx }), offset: 0 };
  }

  private newVar(type: ValueType): number {
    this.vars.push(type);
    return PARAM_COUNT + this.vars.length - 1;
  }

  get(reg: number): Expr {
    return this.m.local.get(REG_LOCAL[reg]!, binaryen.i64);
  }

  set(reg: number, value: Expr): Expr {
    return this.m.local.set(REG_LOCAL[reg]!, value);
  }

  tempI64(): number {
    if (this.i64Used === this.i64Pool.length) this.i64Pool.push(this.newVar(binaryen.i64));
    return this.i64Pool[this.i64Used++]!;
  }

  tempI32(): number {
    if (this.i32Used === this.i32Pool.length) this.i32Pool.push(this.newVar(binaryen.i32));
    return this.i32Pool[this.i32Used++]!;
  }

  promotedSlot(baseReg: number, off: number, size: number): number | undefined {
    return baseReg === 10 ? this.slots.get(slotKey(off, size)) : undefined;
  }

  knownMap(reg: number): number | undefined {
    return this.maps.get(reg);
  }

  knownCallback(reg: number): number | undefined {
    return this.callbacks.get(reg);
  }

  subProgramFunction(slot: number): string {
    return (this.options.functionPrefix ?? '') + subProgramExport(slot);
  }

  private programMapList: number[] | undefined;

  programMaps(): readonly number[] {
    if (this.programMapList === undefined) {
      const seen = new Set<number>();
      for (let i = 0; i < this.insns.length; i += slotWidth(this.insns[i]!)) {
        const insn = this.insns[i]!;
        if (insn.code === OP_LD_IMM64 && insn.src === PseudoSrc.MAP_FD) seen.add(Number(imm64At(this.insns, i)));
      }
      this.programMapList = [...seen];
    }
    return this.programMapList;
  }

  /** Statements of one non-terminator instruction (temps are per instruction, so the pools reset here). */
  lowerInsn(insn: Insn, at: number): Expr {
    this.i64Used = 0;
    this.i32Used = 0;
    const stmt = this.lowerInsnBody(insn, at);
    for (const r of writtenRegisters(insn)) {
      this.maps.delete(r);
      this.values.delete(r);
      this.callbacks.delete(r);
    }
    if (insn.code === OP_LD_IMM64 && insn.src === PseudoSrc.MAP_FD) this.maps.set(insn.dst, Number(imm64At(this.insns, at)));
    if (insn.code === OP_LD_IMM64 && insn.src === PseudoSrc.MAP_VALUE) this.values.set(insn.dst, Number(imm64At(this.insns, at)));
    if (insn.code === OP_LD_IMM64 && insn.src === PseudoSrc.FUNC) this.callbacks.set(insn.dst, at + insn.imm + 1);
    return stmt;
  }

  constantLoad(reg: number, off: number, size: number, signed: boolean): bigint | undefined {
    const base = this.values.get(reg);
    if (base === undefined || this.options.readOnly === undefined) return undefined;
    const addr = base + off;
    const data = this.options.readOnly.find((d) => addr >= d.addr && addr + size <= d.addr + d.bytes.length);
    if (data === undefined) return undefined;
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(data.bytes[addr - data.addr + i]!);
    return signed ? BigInt.asIntN(size * 8, v) : v;
  }

  private lowerInsnBody(insn: Insn, at: number): Expr {
    const { m } = this;
    switch (classOf(insn.code)) {
      case Class.ALU:
      case Class.ALU64:
        return lowerAlu(this, insn, at);
      case Class.LDX:
        return lowerLoad(this, insn, at);
      case Class.ST:
      case Class.STX:
        return lowerStore(this, insn, at);
      case Class.LD:
        if (insn.code !== OP_LD_IMM64) throw new JitCompileError('legacy LD_ABS/LD_IND packet access is not supported', this.program, at);
        if (insn.src === PseudoSrc.FUNC) {
          // A callback's "address" is its first slot: HelperCall.callback takes that slot index.
          return this.set(insn.dst, m.i64.const(BigInt(at + insn.imm + 1)));
        }
        return this.set(insn.dst, this.imm64(BigInt.asIntN(64, imm64At(this.insns, at))));
      case Class.JMP:
      case Class.JMP32:
        if (opOf(insn.code) === JmpOp.CALL) return this.lowerCall(insn, at);
        throw new JitCompileError(`jump 0x${insn.code.toString(16)} in the middle of a block`, this.program, at);
      default:
        throw new JitCompileError(`opcode 0x${insn.code.toString(16)}`, this.program, at);
    }
  }

  private lowerCall(insn: Insn, at: number): Expr {
    const { m } = this;
    if (sourceOf(insn.code) === Source.X) {
      // callx: the non-kernel extension the conformance suite uses, the register holds a helper id.
      return this.helperCall(m.i32.wrap(this.get(insn.dst)), at, false);
    }
    if (insn.src === CallSrc.PSEUDO_CALL) {
      const args = [1, 2, 3, 4, 5].map((r) => this.get(r));
      args.push(m.i64.sub(this.get(10), m.i64.const(BigInt(STACK_FRAME_SIZE))));
      return this.set(0, m.call(this.subProgramFunction(at + insn.imm + 1), args, binaryen.i64));
    }
    if (insn.src === CallSrc.KFUNC) throw new JitCompileError('kfunc calls are not supported', this.program, at);
    const inline = this.options.inlineHelper?.(this, insn.imm, at);
    if (inline !== undefined) return this.set(0, inline);
    if (insn.imm === HelperId.TAIL_CALL) {
      const slow = this.helperCall(m.i32.const(insn.imm), at, true);
      return this.options.tailCalls?.(this, slow) ?? slow;
    }
    return this.helperCall(m.i32.const(insn.imm), at, false);
  }

  /** r1..r5 → scratch of this frame's depth, call the JS trampoline, r0 ← scratch. */
  private helperCall(id: Expr, at: number, mayTailCall: boolean): Expr {
    const { m } = this;
    const regs = this.tempI32();
    const fp = (): Expr => m.i32.wrap(this.get(10));
    const depth = m.i32.shr_u(m.i32.sub(m.global.get(Names.stackTop, binaryen.i32), fp()), m.i32.const(9));
    const stmts: Expr[] = [
      m.local.set(regs, m.i32.add(m.global.get(Names.regs, binaryen.i32), m.i32.mul(depth, m.i32.const(REGS_SCRATCH_BYTES)))),
    ];
    for (let r = 1; r <= 5; r++) stmts.push(m.i64.store(8 * r, 8, m.local.get(regs, binaryen.i32), this.get(r)));
    const call = m.call(Names.helper, [id, m.i32.const(at), fp(), m.global.get(Names.ctx, binaryen.i32)], binaryen.i32);
    if (mayTailCall) {
      stmts.push(m.if(call, m.return(m.call(Names.tailCall, [fp(), m.global.get(Names.ctx, binaryen.i32)], binaryen.i64))));
    } else {
      stmts.push(m.drop(call));
    }
    stmts.push(this.set(0, m.i64.load(0, 8, m.local.get(regs, binaryen.i32))));
    return m.block(null, stmts);
  }

  /** Every basic block's statements and, for a conditional jump, its condition. */
  lowerBlocks(): LoweredBlock[] {
    const { m, sub, insns } = this;
    return sub.blocks.map((b) => {
      const stmts: Expr[] = [];
      this.maps.clear();
      this.values.clear();
      this.callbacks.clear();
      const last = lastSlot(insns, b.start, b.end);
      for (let i = b.start; i < b.end; i += slotWidth(insns[i]!)) {
        if (i === last && b.term.kind !== 'fallthrough' && b.term.kind !== 'falloff') break;
        stmts.push(this.lowerInsn(insns[i]!, i));
      }
      if (b.term.kind === 'exit') stmts.push(m.return(this.get(0)));
      if (b.term.kind === 'falloff') stmts.push(m.unreachable());
      let condition: Expr | undefined;
      if (b.term.kind === 'cond' && b.term.taken !== b.term.next) {
        this.i64Used = 0;
        this.i32Used = 0;
        condition = lowerCondition(this, insns[last]!, last);
      }
      return { block: b, stmts, condition };
    });
  }
}

/**
 * A basic block after lowering. `condition` is set for a conditional jump whose two targets differ (a jump
 * by 0 goes to the next block either way).
 */
export interface LoweredBlock {
  readonly block: BasicBlock;
  readonly stmts: Expr[];
  readonly condition: Expr | undefined;
}

/** Turns a sub-program's lowered blocks into one structured body (Relooper, or jit/structurer.ts). */
export type Structurer = (blocks: readonly LoweredBlock[], labelLocal: number) => Expr;

/** Binaryen's Relooper (handles any CFG, irreducible ones with a label variable). */
export function relooperStructurer(m: binaryen.Module): Structurer {
  return (blocks, labelLocal) => {
    const relooper = new binaryen.Relooper(m);
    const refs = new Map<number, number>();
    for (const b of blocks) refs.set(b.block.start, relooper.addBlock(m.block(null, b.stmts)));
    let trap: number | undefined;
    for (const b of blocks) {
      const from = refs.get(b.block.start)!;
      const t = b.block.term;
      if (t.kind === 'jump') relooper.addBranch(from, refs.get(t.target)!, 0, 0);
      else if (t.kind === 'fallthrough') relooper.addBranch(from, refs.get(t.next)!, 0, 0);
      else if (t.kind === 'cond' && b.condition === undefined) relooper.addBranch(from, refs.get(t.taken)!, 0, 0);
      else if (t.kind === 'cond') {
        relooper.addBranch(from, refs.get(t.taken)!, b.condition!, 0);
        if (t.next === null) trap ??= relooper.addBlock(m.unreachable());
        relooper.addBranch(from, t.next === null ? trap! : refs.get(t.next)!, 0, 0);
      }
    }
    return relooper.renderAndDispose(refs.get(blocks[0]!.block.start)!, labelLocal);
  };
}

const CALL_CLOBBERED = [0, 1, 2, 3, 4, 5];

/** Registers an instruction may write (for the per-block map-pointer facts). */
function writtenRegisters(insn: Insn): readonly number[] {
  switch (classOf(insn.code)) {
    case Class.ALU:
    case Class.ALU64:
    case Class.LDX:
    case Class.LD:
      return [insn.dst];
    case Class.STX:
      if (modeOf(insn.code) !== Mode.ATOMIC) return [];
      return insn.imm === AtomicOp.CMPXCHG ? [0] : [insn.src];
    case Class.JMP:
    case Class.JMP32:
      return opOf(insn.code) === JmpOp.CALL ? CALL_CLOBBERED : [];
    default:
      return [];
  }
}

function lastSlot(insns: readonly Insn[], start: number, end: number): number {
  let last = start;
  for (let i = start; i < end; i += slotWidth(insns[i]!)) last = i;
  return last;
}

/** Adds the wasm function for `sub` (named functionPrefix + subProgramExport(sub.start)). */
export function addSubProgramFunction(
  m: IrBuilder, module: ModuleSink, structure: Structurer, program: string, insns: readonly Insn[], sub: SubProgram,
  options: FunctionBuildOptions,
): void {
  const lowering = new FunctionLowering(m, module, program, insns, sub, options);
  const body = structure(lowering.lowerBlocks(), LABEL_LOCAL);
  // Every path of the structured body returns; a trailing unreachable types the function body.
  module.addFunction((options.functionPrefix ?? '') + subProgramExport(sub.start), SUB_PROGRAM_PARAMS, binaryen.i64, lowering.vars, m.block(null, [body, m.unreachable()], binaryen.i64));
}
