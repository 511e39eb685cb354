/**
 * Static structure checks before abstract interpretation (the kernel's check_subprogs + check_cfg):
 * every instruction decodes with its reserved fields zero, jumps stay inside their function and never
 * land in the middle of an LD_IMM64, every function ends in exit or an unconditional jump, and every
 * instruction is reachable. Also computes register liveness, used by state pruning (registers that are
 * never read again do not make two states different).
 */
import type { Insn } from '../ebpf/insn.js';
import { describeInsn } from '../ebpf/insn-validity.js';
import { AluOp, AtomicOp, CallSrc, Class, JmpOp, Mode, PseudoSrc, Size, Source, classOf, modeOf, opOf, sourceOf } from '../ebpf/opcodes.js';
import type { HelperProto } from '../ebpf/helpers.js';

export class CfgViolation extends Error {
  constructor(readonly insn: number, readonly rule: string, readonly hint?: string) {
    super(rule);
    this.name = 'CfgViolation';
  }
}

export interface Cfg {
  /** Function entry instructions, ascending; [0] is the program entry. */
  readonly funcStarts: readonly number[];
  /** Function (its start) containing each instruction. */
  readonly funcOf: Int32Array;
  /** Instructions that are jump targets or follow a conditional jump / call (pruning checkpoints). */
  readonly prunePoints: Uint8Array;
  /** Bit r set: register r may be read before being written, from the start of instruction i. */
  readonly liveIn: Uint16Array;
  readonly hasCalls: boolean;
  readonly hasTailCalls: boolean;
}

/** The slot index a jump at `i` lands on (JMP32|JA "gotol" uses imm). */
export function jumpTargetOf(insn: Insn, i: number): number {
  return classOf(insn.code) === Class.JMP32 && opOf(insn.code) === JmpOp.JA ? i + insn.imm + 1 : i + insn.off + 1;
}

const isJmpClass = (c: number): boolean => c === Class.JMP || c === Class.JMP32;

export function buildCfg(insns: readonly Insn[], funcEntries: readonly number[], helper: (id: number) => HelperProto | undefined): Cfg {
  const n = insns.length;
  if (n === 0) throw new CfgViolation(0, 'program has no instructions');
  const slots = new Uint8Array(n);
  const hi = new Uint8Array(n); // second slot of an LD_IMM64
  for (let i = 0; i < n; i++) {
    if (hi[i]) continue;
    const d = describeInsn(insns, i);
    if (!d.valid) throw new CfgViolation(i, `invalid instruction: ${d.reason}`, 'the object contains an instruction the kernel does not accept');
    slots[i] = d.slots;
    if (d.slots === 2) hi[i + 1] = 1;
    const insn = insns[i]!;
    const cls = classOf(insn.code);
    if ((cls === Class.ALU || cls === Class.ALU64) && sourceOf(insn.code) === Source.K) {
      const op = opOf(insn.code);
      if ((op === AluOp.DIV || op === AluOp.MOD) && insn.imm === 0) throw new CfgViolation(i, 'div by zero', 'dividing by the constant 0');
      const width = cls === Class.ALU64 ? 64 : 32;
      if ((op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH) && (insn.imm < 0 || insn.imm >= width)) {
        throw new CfgViolation(i, `invalid shift ${insn.imm}`, `shift amounts must be 0..${width - 1}`);
      }
    }
    if (cls === Class.LD && modeOf(insn.code) === Mode.IMM && ![PseudoSrc.IMM, PseudoSrc.MAP_FD, PseudoSrc.MAP_VALUE, PseudoSrc.FUNC].includes(insn.src as 0)) {
      throw new CfgViolation(i, `unsupported LD_IMM64 pseudo source ${insn.src}`, 'only constants, maps, map values and callback functions can be loaded');
    }
  }
  // Functions: the declared ones plus every bpf-to-bpf call target.
  const starts = new Set<number>([0, ...funcEntries.filter((s) => s >= 0 && s < n)]);
  let hasCalls = false;
  let hasTailCalls = false;
  for (let i = 0; i < n; i++) {
    if (hi[i]) continue;
    const insn = insns[i]!;
    if (insn.code === (Class.JMP | JmpOp.CALL)) {
      if (insn.src === CallSrc.PSEUDO_CALL) {
        const t = i + insn.imm + 1;
        if (t < 0 || t >= n) throw new CfgViolation(i, `call out of range from insn ${i} to ${t}`);
        if (hi[t]) throw new CfgViolation(i, `call into the middle of ldimm64 insn ${t - 1}`);
        starts.add(t);
        hasCalls = true;
      } else if (insn.src === CallSrc.HELPER && helper(insn.imm)?.name === 'tail_call') hasTailCalls = true;
    } else if (insn.code === (Class.LD | Mode.IMM | Size.DW) && insn.src === PseudoSrc.FUNC) {
      // A callback (bpf_loop, bpf_for_each_map_elem) is a function of its own (kernel: add_subprog).
      const t = i + insn.imm + 1;
      if (t < 0 || t >= n || hi[t]) throw new CfgViolation(i, `callback function out of range from insn ${i} to ${t}`);
      starts.add(t);
      hasCalls = true;
    }
  }
  const funcStarts = [...starts].sort((a, b) => a - b);
  const prunePoints = new Uint8Array(n);
  for (const s of funcStarts) prunePoints[s] = 1;
  const funcOf = new Int32Array(n);
  for (let f = 0; f < funcStarts.length; f++) {
    const s = funcStarts[f]!;
    const e = funcStarts[f + 1] ?? n;
    funcOf.fill(s, s, e);
    // The last instruction of a function must not fall through into the next one.
    let last = e - 1;
    if (hi[last]) last--;
    const li = insns[last]!;
    const lop = opOf(li.code);
    if (!isJmpClass(classOf(li.code)) || (lop !== JmpOp.EXIT && lop !== JmpOp.JA)) {
      throw new CfgViolation(last, 'last insn is not an exit or jmp', 'execution would fall off the end of the function');
    }
  }
  const succ: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    if (hi[i]) continue;
    const insn = insns[i]!;
    const cls = classOf(insn.code);
    const next = i + slots[i]!;
    if (isJmpClass(cls)) {
      const op = opOf(insn.code);
      if (op === JmpOp.EXIT) continue;
      if (op === JmpOp.CALL) {
        succ[i]!.push(next);
        prunePoints[next] = 1;
        continue;
      }
      const t = jumpTargetOf(insn, i);
      if (t < 0 || t >= n) throw new CfgViolation(i, `jump out of range from insn ${i} to ${t}`);
      if (hi[t]) throw new CfgViolation(i, `jump into the middle of ldimm64 insn ${t - 1}`);
      if (funcOf[t] !== funcOf[i]) throw new CfgViolation(i, `jump out of range from insn ${i} to ${t}`, 'jumps cannot cross into another function');
      succ[i]!.push(t);
      prunePoints[t] = 1;
      if (op !== JmpOp.JA) { succ[i]!.push(next); prunePoints[next] = 1; }
      continue;
    }
    succ[i]!.push(next);
  }
  // Reachability from the entry; a called function is reached through its call.
  const seen = new Uint8Array(n);
  const work = [0];
  seen[0] = 1;
  while (work.length) {
    const i = work.pop()!;
    const targets = [...succ[i]!];
    const insn = insns[i]!;
    if (insn.code === (Class.JMP | JmpOp.CALL) && insn.src === CallSrc.PSEUDO_CALL) targets.push(i + insn.imm + 1);
    if (insn.code === (Class.LD | Mode.IMM | Size.DW) && insn.src === PseudoSrc.FUNC) targets.push(i + insn.imm + 1);
    for (const t of targets) if (!seen[t]) { seen[t] = 1; work.push(t); }
  }
  for (let i = 0; i < n; i++) {
    if (!hi[i] && !seen[i]) throw new CfgViolation(i, `unreachable insn ${i}`, 'remove the dead code (or the object was mis-linked)');
  }
  const liveIn = computeLiveness(insns, succ, hi, helper);
  return { funcStarts, funcOf, prunePoints, liveIn, hasCalls, hasTailCalls };
}

function usesDefs(insn: Insn, helper: (id: number) => HelperProto | undefined): [number, number] {
  const bit = (r: number): number => 1 << r;
  const cls = classOf(insn.code);
  const op = opOf(insn.code);
  const isX = sourceOf(insn.code) === Source.X;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      let use = op === AluOp.MOV ? 0 : bit(insn.dst);
      if (isX && op !== AluOp.END && op !== AluOp.NEG) use |= bit(insn.src);
      return [use, bit(insn.dst)];
    }
    case Class.LD: return [0, bit(insn.dst)];
    case Class.LDX: return [bit(insn.src), bit(insn.dst)];
    case Class.ST: return [bit(insn.dst), 0];
    case Class.STX: {
      let use = bit(insn.dst) | bit(insn.src);
      let def = 0;
      if (modeOf(insn.code) === Mode.ATOMIC) {
        if (insn.imm === AtomicOp.CMPXCHG) { use |= 1; def = 1; }
        else if (insn.imm & AtomicOp.FETCH) def = bit(insn.src);
      }
      return [use, def];
    }
    default: {
      if (op === JmpOp.EXIT) return [1, 0];
      if (op === JmpOp.CALL) {
        const nargs = insn.src === CallSrc.HELPER ? (helper(insn.imm)?.args.length ?? 5) : 5;
        let use = 0;
        for (let r = 1; r <= nargs; r++) use |= bit(r);
        return [use, 0x3f];
      }
      if (op === JmpOp.JA) return [0, 0];
      return [bit(insn.dst) | (isX ? bit(insn.src) : 0), 0];
    }
  }
}

function computeLiveness(insns: readonly Insn[], succ: number[][], hi: Uint8Array, helper: (id: number) => HelperProto | undefined): Uint16Array {
  const n = insns.length;
  const use = new Uint16Array(n);
  const def = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    if (hi[i]) continue;
    [use[i], def[i]] = usesDefs(insns[i]!, helper);
  }
  const liveIn = new Uint16Array(n);
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      if (hi[i]) continue;
      let out = 0;
      for (const s of succ[i]!) out |= liveIn[s]!;
      const v = (use[i]! | (out & ~def[i]!)) & 0x7ff;
      if (v !== liveIn[i]) { liveIn[i] = v; changed = true; }
    }
  }
  return liveIn;
}
