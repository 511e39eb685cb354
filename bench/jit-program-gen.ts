/**
 * A generator of valid random eBPF programs for the JIT's differential tests and compile benchmark:
 * ALU/ALU32 operations (every RFC 9669 op incl. v4 sdiv/smod/movsx/bswap) on random values, bounded forward
 * jumps (JMP and JMP32, K and X, ja and ja32), counted loops, stack stores/loads at fixed slots, loads and
 * stores and atomics on the input buffer, and a bpf-to-bpf call. Every register is defined before use and
 * every access stays inside the 512-byte frame or the input, so any conforming engine gives one answer.
 *
 * Register roles: r1 = input buffer (never written), r10 = frame pointer; r0, r2..r9 are free.
 */
import type { Insn } from '../src/ebpf/insn.js';
import { OP_LD_IMM64 } from '../src/ebpf/insn.js';
import { AluOp, AtomicOp, CallSrc, Class, JmpOp, Mode, Size, Source } from '../src/ebpf/opcodes.js';

/** Deterministic PRNG (mulberry32) so a failing seed can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratedProgram {
  readonly insns: Insn[];
  /** Size of the input buffer r1 points at. */
  readonly memSize: number;
}

export interface GenOptions {
  /** Approximate number of slots. */
  readonly length: number;
  /** Emit conditional and unconditional forward jumps and loops (false: straight-line). */
  readonly branches: boolean;
  /** Size of the input buffer (≥ 64, multiple of 8). */
  readonly memSize?: number;
}

/** One emitted item: an instruction, or a jump whose target is an item index resolved at the end. */
type Item = { insn: Insn } | { jump: Insn; target: number };

const FREE_REGS = [0, 2, 3, 4, 5, 6, 7, 8, 9];
const STACK_SLOTS = 16; // r10-8 .. r10-128, zeroed in the prologue
const ALU_OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.OR, AluOp.AND, AluOp.LSH, AluOp.RSH, AluOp.NEG,
  AluOp.MOD, AluOp.XOR, AluOp.MOV, AluOp.ARSH, AluOp.END];
const JMP_OPS = [JmpOp.JEQ, JmpOp.JGT, JmpOp.JGE, JmpOp.JSET, JmpOp.JNE, JmpOp.JSGT, JmpOp.JSGE, JmpOp.JLT, JmpOp.JLE,
  JmpOp.JSLT, JmpOp.JSLE];
const SIZES = [Size.B, Size.H, Size.W, Size.DW];
const SIZE_BYTES: Record<number, number> = { [Size.B]: 1, [Size.H]: 2, [Size.W]: 4, [Size.DW]: 8 };

const mk = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });

export function generateProgram(seed: number, opts: GenOptions): GeneratedProgram {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const memSize = opts.memSize ?? 256;
  const items: Item[] = [];
  /** [first body item, loop jump item] of every counted loop. */
  const loops: [number, number][] = [];
  const emit = (insn: Insn): void => { items.push({ insn }); };
  const interesting = [0, 1, -1, 2, 7, 31, 32, 63, 64, 0x7fffffff, -0x80000000, 0xff, 0x8000, -2];
  const imm = (): number => (rnd() < 0.4 ? pick(interesting) : (int(0x100000000) | 0));
  const ldImm64 = (dst: number, lo: number, hi: number): void => {
    emit(mk(OP_LD_IMM64, dst, 0, 0, lo));
    emit(mk(0, 0, 0, 0, hi));
  };

  // Prologue: define every free register, zero the stack slots.
  for (const r of FREE_REGS) ldImm64(r, imm(), imm());
  for (let s = 1; s <= STACK_SLOTS; s++) emit(mk(Class.ST | Mode.MEM | Size.DW, 10, 0, -8 * s, 0));

  const aluInsn = (): Insn => {
    const is64 = rnd() < 0.6;
    const cls = is64 ? Class.ALU64 : Class.ALU;
    const op = pick(ALU_OPS);
    const dst = pick(FREE_REGS);
    const useX = rnd() < 0.5;
    const src = useX ? pick([...FREE_REGS, 1]) : 0;
    const k = op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH ? (rnd() < 0.8 ? int(is64 ? 64 : 32) : imm()) : imm();
    if (op === AluOp.END) {
      const width = pick([16, 32, 64]);
      // ALU64 END (K only) is bswap (v4); ALU END K/X is to-le / to-be.
      return mk(cls | op | (!is64 && rnd() < 0.5 ? Source.X : Source.K), dst, 0, 0, width);
    }
    let off = 0;
    if ((op === AluOp.DIV || op === AluOp.MOD) && rnd() < 0.5) off = 1; // sdiv / smod
    if (op === AluOp.MOV && useX && rnd() < 0.4) off = is64 ? pick([8, 16, 32]) : pick([8, 16]); // movsx
    if (op === AluOp.NEG) return mk(cls | op, dst);
    return mk(cls | op | (useX ? Source.X : Source.K), dst, src, off, useX ? 0 : k);
  };

  const memInsn = (): void => {
    const kind = int(6);
    const size = pick(SIZES);
    const bytes = SIZE_BYTES[size]!;
    if (kind <= 1) {
      // Stack: mostly whole 8-byte slots (promotable), sometimes narrower accesses inside a slot.
      const slot = 1 + int(STACK_SLOTS);
      const sz = rnd() < 0.6 ? Size.DW : size;
      const off = -8 * slot + (SIZE_BYTES[sz] === 8 ? 0 : int(8 / SIZE_BYTES[sz]!) * SIZE_BYTES[sz]!);
      if (kind === 0) emit(mk(Class.STX | Mode.MEM | sz, 10, pick(FREE_REGS), off));
      else emit(mk(Class.LDX | (rnd() < 0.2 && sz !== Size.DW ? Mode.MEMSX : Mode.MEM) | sz, pick(FREE_REGS), 10, off));
      return;
    }
    const off = int(memSize / bytes) * bytes;
    if (kind === 2) emit(mk(Class.LDX | (rnd() < 0.2 && bytes < 8 ? Mode.MEMSX : Mode.MEM) | size, pick(FREE_REGS), 1, off));
    else if (kind === 3) emit(mk(Class.STX | Mode.MEM | size, 1, pick(FREE_REGS), off));
    else if (kind === 4) emit(mk(Class.ST | Mode.MEM | size, 1, 0, off, imm()));
    else {
      const wide = rnd() < 0.5;
      const aoff = int(memSize / 8) * 8;
      const op = pick([AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR, AtomicOp.ADD | AtomicOp.FETCH,
        AtomicOp.OR | AtomicOp.FETCH, AtomicOp.AND | AtomicOp.FETCH, AtomicOp.XOR | AtomicOp.FETCH, AtomicOp.XCHG, AtomicOp.CMPXCHG]);
      emit(mk(Class.STX | Mode.ATOMIC | (wide ? Size.DW : Size.W), 1, pick(FREE_REGS), aoff, op));
    }
  };

  const body = (budget: number, allowBranches: boolean): void => {
    const end = items.length + budget;
    while (items.length < end) {
      const r = rnd();
      if (allowBranches && r < 0.12) {
        const is32 = rnd() < 0.3;
        const useX = rnd() < 0.5;
        const op = pick(JMP_OPS);
        const code = (is32 ? Class.JMP32 : Class.JMP) | op | (useX ? Source.X : Source.K);
        const jump = mk(code, pick(FREE_REGS), useX ? pick(FREE_REGS) : 0, 0, useX ? 0 : imm());
        items.push({ jump, target: items.length + 1 + int(12) });
      } else if (allowBranches && r < 0.14) {
        const ja32 = rnd() < 0.3;
        items.push({ jump: mk(ja32 ? Class.JMP32 | JmpOp.JA : Class.JMP | JmpOp.JA), target: items.length + 1 + int(6) });
      } else if (allowBranches && r < 0.16) {
        // Counted loop over a straight-line body; r9 is the counter and the body does not touch it.
        const counter = 9;
        emit(mk(Class.ALU64 | AluOp.MOV | Source.K, counter, 0, 0, 1 + int(4)));
        const top = items.length;
        loops.push([top, -1]);
        for (let n = 2 + int(5); n > 0; n--) {
          const a = aluInsn();
          emit(a.dst === counter ? { ...a, dst: 8 } : a);
        }
        emit(mk(Class.ALU64 | AluOp.SUB | Source.K, counter, 0, 0, 1));
        loops[loops.length - 1]![1] = items.length;
        items.push({ jump: mk(Class.JMP | JmpOp.JNE | Source.K, counter, 0, 0, 0), target: top });
      } else if (rnd() < 0.3) {
        memInsn();
      } else {
        emit(aluInsn());
      }
    }
  };

  body(opts.length, opts.branches);
  // Call the sub-program (r1..r5 as arguments), then fold every register into r0.
  const callAt = items.length;
  emit(mk(Class.JMP | JmpOp.CALL, 0, CallSrc.PSEUDO_CALL, 0, 0));
  for (const r of [2, 3, 4, 5, 6, 7, 8, 9]) emit(mk(Class.ALU64 | AluOp.XOR | Source.X, 0, r));
  emit(mk(Class.JMP | JmpOp.EXIT));
  const subStart = items.length;
  // Sub-program: r0 from its arguments, its own stack frame, r6..r9 clobbered (callee-saved in the caller).
  emit(mk(Class.ALU64 | AluOp.MOV | Source.X, 0, 2));
  emit(mk(Class.STX | Mode.MEM | Size.DW, 10, 3, -8));
  emit(mk(Class.ALU64 | AluOp.ADD | Source.X, 0, 4));
  emit(mk(Class.LDX | Mode.MEM | Size.DW, 6, 10, -8));
  emit(mk(Class.ALU64 | AluOp.MUL | Source.X, 0, 6));
  emit(mk(Class.ALU64 | AluOp.MOV | Source.K, 7, 0, 0, 0));
  emit(mk(Class.JMP | JmpOp.EXIT));

  // Resolve item indices to relative offsets (one slot per item). A forward jump never lands inside a counted
  // loop (it would skip the counter's initialisation); it moves to just after the loop instead.
  const resolveTarget = (t: number): number => {
    let target = Math.min(t, callAt);
    for (const [first, last] of loops) if (target >= first && target <= last) target = last + 1;
    return target;
  };
  const insns: Insn[] = items.map((it, i) => {
    if ('insn' in it) return i === callAt ? { ...it.insn, imm: subStart - i - 1 } : it.insn;
    const rel = (it.target <= i ? it.target : resolveTarget(it.target)) - i - 1;
    return it.jump.code === (Class.JMP32 | JmpOp.JA) ? { ...it.jump, imm: rel } : { ...it.jump, off: rel };
  });
  return { insns, memSize };
}
