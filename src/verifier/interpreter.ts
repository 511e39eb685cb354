/**
 * The abstract interpreter (the kernel's do_check): explores every path from the entry, one instruction
 * at a time, discharging the instruction's assertions (assertions.ts) against the current abstract state
 * and then applying its effect. Paths are pruned at checkpoints when a fully explored earlier state
 * covers the current one (states_equal with RANGE_WITHIN); loops are explored until their bound makes the
 * exit branch the only feasible one, within the kernel's 1,000,000 processed-instruction budget.
 */
import type { Insn } from '../ebpf/insn.js';
import { imm64At } from '../ebpf/insn.js';
import { disassemble } from '../ebpf/disasm.js';
import { helperById, type HelperProto } from '../ebpf/helpers.js';
import { MapType, type ObjectSpec, type ProgramSpec } from '../ebpf/object-spec.js';
import { AluOp, AtomicOp, CallSrc, Class, JmpOp, Mode, Source, classOf, modeOf, opOf, sizeBytes, sizeOf, sourceOf } from '../ebpf/opcodes.js';
import { type Assertion, assertionsOf } from './assertions.js';
import { buildCfg, CfgViolation, type Cfg, jumpTargetOf } from './cfg.js';
import { type DischargeEnv, discharge, isGplCompatible } from './domain/discharge.js';
import { type AccessFact, MAX_PACKET_OFF, MAX_VAR_OFF, checkHelperMem, loadedValue } from './domain/memory.js';
import {
  type Reg, NOT_INIT, constReg, isMaybeNull, isPktAny, isPointer, nonNullType, pointerReg, scalarReg, typeName, unknownScalar,
} from './domain/reg.js';
import {
  type CmpOp, type Scalar, type ScalarAluOp, NEGATE, isConst, refineCmp, scalarAlu, scalarBswap, scalarDivMod, scalarNeg,
  scalarOfSize, signExtend, zext32, scalarUnknown,
} from './domain/scalar.js';
import { Frame, MAX_CALL_FRAMES, Slot, State, stateCovers, STACK_SIZE } from './domain/state.js';
import { RuleViolation, VerifierError, type SourceLine } from './errors.js';
import { stateString } from './log.js';
import { spinLockOffset } from './domain/spin-lock.js';
import type { InsnFact, VerifiedProgram } from './verified-program.js';

export interface VerifyOptions {
  /** Rules for a loader without CAP_PERFMON (design.md §4a): no pointer leaks/comparisons, no uninit stack reads. */
  readonly strict?: boolean;
  /** Produce a kernel-style per-instruction log in VerifiedProgram.log / the error. */
  readonly log?: boolean;
  /** Processed-instruction budget; default (and maximum) the kernel's 1,000,000. Tests use less to bound time. */
  readonly insnBudget?: number;
}

/** BPF_COMPLEXITY_LIMIT_INSNS. */
export const INSN_BUDGET = 1_000_000;
const MAX_LOG_LINES = 200_000;
const U32MAX = 0xffff_ffffn;

interface Checkpoint {
  readonly state: State;
  branches: number;
  readonly parent: Checkpoint | null;
}

interface Path {
  state: State;
  idx: number;
  cp: Checkpoint | null;
  /** The branch instruction this path was pushed by (-1 for an entry), for the log. */
  readonly from: number;
}

/** Both sides of a comparison as refined on one branch, or null where the branch cannot be taken. */
type Refined = [Scalar, Scalar] | null;

const CMP_OPS: Readonly<Record<number, CmpOp>> = {
  [JmpOp.JEQ]: 'eq', [JmpOp.JNE]: 'ne', [JmpOp.JGT]: 'gt', [JmpOp.JGE]: 'ge', [JmpOp.JLT]: 'lt', [JmpOp.JLE]: 'le',
  [JmpOp.JSGT]: 'sgt', [JmpOp.JSGE]: 'sge', [JmpOp.JSLT]: 'slt', [JmpOp.JSLE]: 'sle', [JmpOp.JSET]: 'set',
};

const ALU_OPS: Readonly<Record<number, ScalarAluOp>> = {
  [AluOp.ADD]: 'add', [AluOp.SUB]: 'sub', [AluOp.MUL]: 'mul', [AluOp.AND]: 'and', [AluOp.OR]: 'or',
  [AluOp.XOR]: 'xor', [AluOp.LSH]: 'lsh', [AluOp.RSH]: 'rsh', [AluOp.ARSH]: 'arsh',
};

const ALU_NAMES: Readonly<Record<number, string>> = {
  [AluOp.ADD]: '+=', [AluOp.SUB]: '-=', [AluOp.MUL]: '*=', [AluOp.DIV]: '/=', [AluOp.OR]: '|=', [AluOp.AND]: '&=',
  [AluOp.LSH]: '<<=', [AluOp.RSH]: '>>=', [AluOp.NEG]: 'neg', [AluOp.MOD]: '%=', [AluOp.XOR]: '^=', [AluOp.MOV]: '=',
  [AluOp.ARSH]: 's>>=', [AluOp.END]: 'endian',
};

/** Verify one program of an object. Throws VerifierError on the first rule a path breaks. */
export function verify(spec: ProgramSpec, obj: ObjectSpec, opts: VerifyOptions = {}): VerifiedProgram {
  return new Interpreter(spec, obj, opts).run();
}

class Interpreter {
  private readonly insns: readonly Insn[];
  private readonly strict: boolean;
  private readonly env: DischargeEnv;
  private readonly stackDepth = new Map<number, number>();
  private readonly callEdges = new Map<number, Set<number>>();
  private readonly explored = new Map<number, Checkpoint[]>();
  private readonly regs32: Int32Array;
  private readonly taken: Uint8Array;
  private readonly access: (InsnFact['access'] | null | undefined)[];
  private readonly assertions: (readonly Assertion[] | undefined)[] = [];
  /**
   * The last scalar transfer at each instruction, by operand identity. Scalars are immutable and shared
   * between the states a branch splits, so the paths through one instruction often bring the very same
   * operands: the (pure) transfer function's result is reused instead of recomputed.
   */
  private readonly aluMemo: ({ readonly a: Scalar; readonly b: Scalar; readonly r: Scalar } | undefined)[] = [];
  private readonly cmpMemo: ({ readonly a: Scalar; readonly b: Scalar; readonly t: Refined; readonly f: Refined } | undefined)[] = [];
  private readonly logLines: string[] | undefined;
  private cfg!: Cfg;
  /** Global functions whose BTF signature xdpjit models (scalars and the ctx pointer): start → parameters. */
  private readonly globals: ReadonlyMap<number, readonly ParamKind[]>;
  private processed = 0;
  private readonly budget: number;
  private jmpsProcessed = 0;
  private lastCpJmps = 0;
  private lastCpInsns = 0;
  private states = 0;
  private idGen = 0;

  constructor(private readonly spec: ProgramSpec, private readonly obj: ObjectSpec, opts: VerifyOptions) {
    this.insns = spec.insns;
    this.strict = opts.strict ?? false;
    this.budget = Math.min(opts.insnBudget ?? INSN_BUDGET, INSN_BUDGET);
    this.logLines = opts.log ? [] : undefined;
    const n = this.insns.length;
    this.regs32 = new Int32Array(n).fill(-1);
    this.taken = new Uint8Array(n);
    this.access = new Array(n);
    this.globals = globalSignatures(spec, obj);
    this.env = {
      strict: this.strict,
      progKind: spec.kind,
      obj,
      helper: helperById,
      gplCompatible: isGplCompatible(obj.license),
      spinLock: (map) => spinLockOffset(obj, map),
      noteStackDepth: (fn, depth) => this.stackDepth.set(fn, Math.max(this.stackDepth.get(fn) ?? 0, depth)),
    };
  }

  run(): VerifiedProgram {
    const t0 = performance.now();
    try {
      this.cfg = buildCfg(this.insns, this.spec.funcs.map((f) => f.insn), helperById);
    } catch (e) {
      if (e instanceof CfgViolation) throw this.error(e.insn, new RuleViolation(e.rule, e.hint), undefined);
      throw e;
    }
    const entry = Frame.entry(0, 0, -1);
    entry.regs[1] = pointerReg('ctx');
    // Global functions are verified once, on their own, from their BTF signature (kernel: do_check_subprogs);
    // the main program is explored first, as the kernel does.
    const work: Path[] = [];
    for (const [start, sig] of this.globals) {
      const f = Frame.entry(0, start, -1);
      sig.forEach((kind, i) => {
        f.regs[i + 1] = kind === 'ctx' ? pointerReg('ctx') : kind === 'scalar' ? unknownScalar() : pointerReg('mem_or_null', { size: kind.mem, id: this.newId() });
      });
      work.push({ state: new State([f], new Map()), idx: start, cp: null, from: -1 });
    }
    work.push({ state: new State([entry], new Map()), idx: 0, cp: null, from: -1 });
    while (work.length > 0) this.explore(work.pop()!, work);
    this.checkStackDepth();
    return {
      name: this.spec.name,
      section: this.spec.section,
      insnCount: this.insns.length,
      processed: this.processed,
      states: this.states,
      stackDepth: new Map([...this.stackDepth].map(([f, d]) => [f, roundUp16(d)])),
      ms: performance.now() - t0,
      facts: this.facts(),
      ...(this.logLines ? { log: this.logLines.join('\n') } : {}),
    };
  }

  /** Follow one path until it exits, is pruned, or dies; pushes the other side of each branch. */
  /**
   * The kernel's level-2 log: `from P to Q: <state>` where a path resumes, then per instruction
   * `N: (op) insn ; <state after>`.
   */
  private explore(path: Path, work: Path[]): void {
    const log = this.logLines;
    if (log && log.length < MAX_LOG_LINES) log.push(`${path.from >= 0 ? `from ${path.from} to ${path.idx}` : `${path.idx}`}: ${stateString(path.state)}`);
    for (;;) {
      if (++this.processed > this.budget) {
        throw this.error(path.idx, new RuleViolation(`BPF program is too large. Processed ${this.processed} insn`,
          'the verifier explores every path: bound loops more tightly or split the program with tail calls'), path.state);
      }
      if (this.cfg.prunePoints[path.idx] && this.checkpoint(path)) {
        this.pathDone(path.cp);
        return;
      }
      this.noteRegs32(path);
      let next: Array<{ state: State; idx: number }> | number;
      try {
        next = this.step(path.state, path.idx);
      } catch (e) {
        if (e instanceof RuleViolation) throw this.error(path.idx, e, path.state);
        throw e;
      }
      if (log && log.length < MAX_LOG_LINES) {
        const op = this.insns[path.idx]!.code.toString(16).padStart(2, '0');
        const after = typeof next === 'number' ? path.state : next[0]?.state;
        log.push(`${path.idx}: (${op}) ${disassemble(this.insns, path.idx)}${after ? ` ; ${stateString(after)}` : ''}`);
      }
      if (typeof next === 'number') {
        path.idx = next;
        continue;
      }
      if (next.length === 0) {
        this.pathDone(path.cp);
        return;
      }
      if (next.length > 1) this.jmpsProcessed++;
      for (let i = 1; i < next.length; i++) {
        if (path.cp) path.cp.branches++;
        work.push({ state: next[i]!.state, idx: next[i]!.idx, cp: path.cp, from: path.idx });
      }
      path.state = next[0]!.state;
      path.idx = next[0]!.idx;
    }
  }

  /** update_branch_counts: a checkpoint whose every continuation is explored may prune others. */
  private pathDone(cp: Checkpoint | null): void {
    for (let c = cp; c; c = c.parent) {
      if (--c.branches > 0) break;
    }
  }

  /** is_state_visited: true when the path can be pruned here; otherwise records a checkpoint. */
  private checkpoint(path: Path): boolean {
    const list = this.explored.get(path.idx) ?? [];
    const cur = path.state;
    // Registers each frame may still read (a caller frame: the callee-saved ones live after its call).
    const frames = cur.frames;
    const live: number[] = [];
    for (let f = 0; f < frames.length; f++) {
      live.push(f === frames.length - 1 ? this.cfg.liveIn[path.idx]! : this.cfg.liveIn[frames[f + 1]!.callsite]! & CALLEE_SAVED);
    }
    // A helper callback's entry is a loop head whose iteration count the helper bounds (bpf_loop's nr, the
    // map's size): a state covered by one still being explored adds nothing (fixpoint reached).
    const callbackEntry = cur.cur.callbackOf >= 0 && cur.cur.funcStart === path.idx;
    for (const cp of list) {
      if (callbackEntry) {
        if (stateCovers(cp.state, cur, live, false)) return true;
      } else if (cp.branches === 0) {
        if (stateCovers(cp.state, cur, live, false)) return true;
      } else if (stateCovers(cp.state, cur, live, true)) {
        throw this.error(path.idx, new RuleViolation(`infinite loop detected at insn ${path.idx}`,
          'the loop comes back to this instruction in exactly the same state: it never terminates'), cur);
      }
    }
    // Like the kernel, do not store a state at every prune point of a straight run of code: a checkpoint
    // every few jumps is enough to prune, and fewer states make each lookup cheaper.
    if (this.jmpsProcessed - this.lastCpJmps < 2 && this.processed - this.lastCpInsns < 8 && !callbackEntry) return false;
    this.lastCpJmps = this.jmpsProcessed;
    this.lastCpInsns = this.processed;
    const cp: Checkpoint = { state: cur.clone(), branches: 1, parent: path.cp };
    list.push(cp);
    this.explored.set(path.idx, list);
    this.states++;
    path.cp = cp;
    return false;
  }

  private noteRegs32(path: Path): void {
    let mask = 0;
    const regs = path.state.cur.regs;
    for (let r = 0; r < 10; r++) {
      const reg = regs[r]!;
      if (reg.t === 'scalar' && reg.s.r64.umax <= U32MAX) mask |= 1 << r;
    }
    this.regs32[path.idx]! &= mask;

  }

  private newId(): number {
    return ++this.idGen;
  }

  // ---- one instruction ------------------------------------------------------------------------

  /** The successors of one instruction; a number is the one successor of straight-line code, in the same state. */
  private step(st: State, idx: number): Array<{ state: State; idx: number }> | number {
    const insn = this.insns[idx]!;
    const cls = classOf(insn.code);
    const isHelper = (cls === Class.JMP) && opOf(insn.code) === JmpOp.CALL && insn.src === CallSrc.HELPER;
    const proto = isHelper ? helperById(insn.imm) : undefined;
    let access: AccessFact | undefined;
    let loaded: Reg | undefined;
    // What must hold depends on the instruction only: derived once per instruction.
    let asserts = this.assertions[idx];
    if (!asserts) { asserts = assertionsOf(this.insns, idx, proto); this.assertions[idx] = asserts; }
    for (const a of asserts) {
      if (a.kind === 'alu_operands' || a.kind === 'cmp_operands') continue; // proved by the transfer below
      const proof = discharge(a, st, this.env);
      if (proof.access) { access = proof.access.fact; loaded = proof.access.loaded; }
    }
    if (access) this.noteAccess(idx, access);
    const regs = st.cur.regs;
    switch (cls) {
      case Class.ALU:
      case Class.ALU64:
        this.alu(st, insn, idx, cls === Class.ALU64);
        return idx + 1;
      case Class.LD:
        regs[insn.dst] = this.ldImm64(idx);
        return idx + 2;
      case Class.LDX:
        regs[insn.dst] = loadedValue(loaded, sizeBytes(sizeOf(insn.code)), modeOf(insn.code) === Mode.MEMSX);
        return idx + 1;
      case Class.ST:
        return idx + 1;
      case Class.STX:
        if (modeOf(insn.code) === Mode.ATOMIC) this.atomicResult(st, insn);
        return idx + 1;
      default:
        return this.jmp(st, insn, idx, cls === Class.JMP32, proto);
    }
  }

  private noteAccess(idx: number, f: AccessFact): void {
    const prev = this.access[idx];
    if (prev === undefined) { this.access[idx] = f.offset === undefined ? { region: f.region } : { region: f.region, offset: f.offset }; return; }
    if (prev === null) return;
    if (prev.region !== f.region) { this.access[idx] = { region: 'mixed' }; return; }
    if (prev.offset !== f.offset) this.access[idx] = { region: prev.region };
  }

  private ldImm64(idx: number): Reg {
    const insn = this.insns[idx]!;
    if (insn.src === 0) return constReg(imm64At(this.insns, idx));
    if (insn.src === 4) return pointerReg('func_ptr', { off: idx + insn.imm + 1 });
    const map = this.obj.maps[insn.imm];
    if (!map) throw new RuleViolation(`fd ${insn.imm} is not pointing to valid bpf_map`, 'the map reference does not name a map of this object');
    if (insn.src === 1) return pointerReg('map_ptr', { map });
    const off = this.insns[idx + 1]!.imm;
    if (map.type !== MapType.ARRAY || off < 0 || off >= map.valueSize) {
      throw new RuleViolation(`invalid access to map value pointer, value_size=${map.valueSize} off=${off}`, 'direct value access needs an in-bounds offset into a single-element array (global data)');
    }
    return pointerReg('map_value', { map, off });
  }

  private atomicResult(st: State, insn: Insn): void {
    const size = sizeBytes(sizeOf(insn.code));
    const v = scalarReg(scalarOfSize(size));
    if (insn.imm === AtomicOp.CMPXCHG) st.cur.regs[0] = v;
    else if (insn.imm & AtomicOp.FETCH) st.cur.regs[insn.src] = v;
  }

  // ---- ALU --------------------------------------------------------------------------------------

  private alu(st: State, insn: Insn, idx: number, is64: boolean): void {
    const regs = st.cur.regs;
    const op = opOf(insn.code);
    const isX = sourceOf(insn.code) === Source.X;
    const d = insn.dst;
    const R = `R${d}`;
    const partialPointer = (what: string, reg: number): Reg => {
      if (this.strict) throw new RuleViolation(`R${reg} ${what}`, 'pointer values cannot be turned into numbers without CAP_PERFMON (strict mode)');
      return is64 ? unknownScalar() : scalarReg(zext32(scalarUnknown()));
    };
    if (op === AluOp.MOV) {
      if (!isX) { regs[d] = constReg(is64 ? BigInt(insn.imm) : BigInt(insn.imm >>> 0)); return; }
      const src = regs[insn.src]!;
      if (insn.off !== 0) {
        // MOVSX (v4): sign-extend the low 8/16/32 bits.
        if (src.t !== 'scalar') { regs[d] = partialPointer('sign-extension part of pointer', insn.src); return; }
        const s = signExtend(src.s, insn.off / 8);
        regs[d] = scalarReg(is64 ? s : zext32(s));
        return;
      }
      if (!is64) {
        regs[d] = src.t === 'scalar' ? scalarReg(zext32(src.s)) : partialPointer('partial copy of pointer', insn.src);
        return;
      }
      if (src.t === 'scalar' && !isConst(src.s)) {
        // Copies share an id so a bound learned on one applies to all (kernel: find_equal_scalars).
        const id = src.id || this.newId();
        regs[insn.src] = { ...src, id };
        regs[d] = { ...src, id };
        return;
      }
      regs[d] = src;
      return;
    }
    const dst = regs[d]!;
    if (op === AluOp.NEG || op === AluOp.END) {
      if (dst.t !== 'scalar') { regs[d] = partialPointer(`pointer arithmetic with ${ALU_NAMES[op]} operator prohibited`, d); return; }
      if (op === AluOp.NEG) regs[d] = scalarReg(scalarNeg(dst.s, is64 ? 64 : 32));
      else {
        const swap = is64 || isX;
        const s = scalarBswap(dst.s, insn.imm as 16 | 32 | 64, swap);
        regs[d] = scalarReg(s);
      }
      return;
    }
    const src = isX ? regs[insn.src]! : constReg(BigInt(insn.imm));
    if (dst.t === 'scalar' && src.t === 'scalar') {
      const w = is64 ? 64 : 32;
      const m = this.aluMemo[idx];
      if (m && m.a === dst.s && m.b === src.s) { regs[d] = scalarReg(m.r); return; }
      const r = op === AluOp.DIV || op === AluOp.MOD
        ? scalarDivMod(dst.s, src.s, w, op === AluOp.MOD, insn.off === 1)
        : scalarAlu(ALU_OPS[op]!, dst.s, src.s, w);
      this.aluMemo[idx] = { a: dst.s, b: src.s, r };
      regs[d] = scalarReg(r);
      return;
    }
    regs[d] = this.pointerAlu(dst, src, op, is64, R, isX ? insn.src : -1);
  }

  /** adjust_ptr_min_max_vals: the pointer arithmetic the kernel allows, and what it yields. */
  private pointerAlu(dst: Reg, src: Reg, op: number, is64: boolean, R: string, srcNo: number): Reg {
    const name = ALU_NAMES[op]!;
    if (isPointer(dst) && isPointer(src)) {
      if (op === AluOp.SUB && !this.strict) return unknownScalar();
      throw new RuleViolation(`${R} pointer ${name} pointer prohibited`, 'only the difference of two pointers is allowed, and only with CAP_PERFMON');
    }
    if (!is64) {
      if (op === AluOp.SUB && !this.strict) return scalarReg(zext32(scalarUnknown()));
      throw new RuleViolation(`${R} 32-bit pointer arithmetic prohibited`, 'do pointer arithmetic with 64-bit operations (no (u32) casts of pointers)');
    }
    const ptrIsDst = isPointer(dst);
    const ptr = ptrIsDst ? dst : src;
    const off = ptrIsDst ? src : dst;
    if (isMaybeNull(ptr)) {
      throw new RuleViolation(`${R} pointer arithmetic on ${typeName(ptr.t)} prohibited, null-check it first`, 'check the pointer against NULL before offsetting it');
    }
    const known = isConst(off.s);
    const val = BigInt.asIntN(64, off.s.var.value);
    if (ptr.t === 'pkt_end' || ptr.t === 'map_ptr' || ptr.t === 'map_ptr_or_null' || ptr.t === 'func_ptr' || ptr.t === 'map_key') {
      if (!(ptr.t === 'map_ptr' && known && val === 0n && op === AluOp.ADD)) {
        throw new RuleViolation(`${R} pointer arithmetic on ${typeName(ptr.t)} prohibited`,
          ptr.t === 'pkt_end' ? 'compute data + N and compare that with data_end instead' : 'a map pointer can only be passed to helpers');
      }
    }
    switch (op) {
      case AluOp.ADD:
        break;
      case AluOp.SUB:
        if (!ptrIsDst) throw new RuleViolation(`${R} tried to subtract pointer from scalar`, 'subtract numbers from pointers, not pointers from numbers');
        if (ptr.t === 'stack') throw new RuleViolation(`${R} subtraction from stack pointer prohibited`, 'use r10 + (-N), not r10 - N');
        break;
      case AluOp.AND: case AluOp.OR: case AluOp.XOR:
        throw new RuleViolation(`${R} bitwise operator ${name} on pointer prohibited`, 'pointers only support + and -');
      default:
        throw new RuleViolation(`${R} pointer arithmetic with ${name} operator prohibited`, 'pointers only support + and -');
    }
    const ptype = typeName(ptr.t);
    if (known && (val >= BigInt(MAX_VAR_OFF) || val <= -BigInt(MAX_VAR_OFF))) {
      throw new RuleViolation(`math between ${ptype} pointer and ${val} is not allowed`, 'offsets must stay within ±2^29');
    }
    if (off.s.r64.smin === -(1n << 63n)) {
      throw new RuleViolation(`math between ${ptype} pointer and register with unbounded min value is not allowed`,
        `bound the value added to the pointer from below (e.g. make it unsigned or check it is >= 0)`);
    }
    if (off.s.r64.smin >= BigInt(MAX_VAR_OFF) || off.s.r64.smin <= -BigInt(MAX_VAR_OFF)) {
      throw new RuleViolation(`value ${off.s.r64.smin} makes ${ptype} pointer be out of bounds`, 'offsets must stay within ±2^29');
    }
    if (this.strict && srcNo >= 0) this.sanitizePtrAlu(ptr, off, R, known);
    let res: Reg;
    if (known) {
      const nOff = op === AluOp.ADD ? BigInt(ptr.off) + val : BigInt(ptr.off) - val;
      if (nOff === BigInt.asIntN(32, nOff)) res = { ...ptr, off: Number(nOff) };
      else res = this.varPtr(ptr, off, op);
    } else res = this.varPtr(ptr, off, op);
    if (res.s.r64.smin === -(1n << 63n) || res.s.r64.smin <= -BigInt(MAX_VAR_OFF) || res.s.r64.smin >= BigInt(MAX_VAR_OFF)
      || res.off >= MAX_VAR_OFF || res.off <= -MAX_VAR_OFF) {
      throw new RuleViolation(`${ptype} pointer offset out of bounds after ${name}`, 'offsets must stay within ±2^29');
    }
    if (this.strict) this.sanitizeBounds(res, R);
    return res;
  }

  private varPtr(ptr: Reg, off: Reg, op: number): Reg {
    const s = scalarAlu(op === AluOp.ADD ? 'add' : 'sub', ptr.s, off.s, 64);
    if (ptr.t === 'pkt' || ptr.t === 'pkt_meta') {
      // Something was added to the packet pointer: it gets a fresh id and no proven range (a
      // non-negative subtrahend keeps the range valid).
      const keep = op === AluOp.SUB && off.s.r64.smin >= 0n;
      return { ...ptr, s, id: this.newId(), range: keep ? ptr.range : 0 };
    }
    return { ...ptr, s };
  }

  /**
   * sanitize_ptr_alu (strict: a register offset is masked against speculation, which the kernel can do
   * only for stack and map value pointers, with offsets of one sign).
   */
  private sanitizePtrAlu(ptr: Reg, off: Reg, R: string, known: boolean): void {
    const tail = 'pointer arithmetic with it prohibited for !root';
    if (!known && (off.s.r64.smin < 0n) !== (off.s.r64.smax < 0n)) {
      throw new RuleViolation(`${R} has unknown scalar with mixed signed bounds, ${tail}`, 'bound the offset to be non-negative (unsigned) before adding it to the pointer (strict mode)');
    }
    if (ptr.t !== 'stack' && ptr.t !== 'map_value') {
      throw new RuleViolation(`${R} has pointer with unsupported alu operation, ${tail}`,
        `without CAP_PERFMON, a register offset can be added only to stack and map value pointers; add a constant to the ${typeName(ptr.t)} pointer instead (strict mode)`);
    }
  }

  /** sanitize_check_bounds (strict: no speculative out-of-bounds pointers). */
  private sanitizeBounds(r: Reg, R: string): void {
    if (r.t === 'stack') {
      if (!isConst(r.s)) throw new RuleViolation(`${R} variable stack access prohibited for !root`, 'use constant stack offsets (strict mode)');
      const o = r.off + Number(BigInt.asIntN(64, r.s.var.value));
      if (o < -STACK_SIZE || o >= 0) throw new RuleViolation(`${R} stack pointer arithmetic goes out of range, prohibited for !root`, 'keep stack pointers inside the 512-byte frame (strict mode)');
    } else if (r.t === 'map_value') {
      const lo = BigInt(r.off) + r.s.r64.smin;
      const hi = BigInt(r.off) + r.s.r64.umax;
      if (lo < 0n || hi + 1n > BigInt(r.map!.valueSize)) {
        throw new RuleViolation(`${R} pointer arithmetic of map value goes out of range, prohibited for !root`, 'keep map value pointers inside the value (strict mode)');
      }
    }
  }

  // ---- jumps, calls, exit ------------------------------------------------------------------------

  private jmp(st: State, insn: Insn, idx: number, is32: boolean, proto: HelperProto | undefined): Array<{ state: State; idx: number }> {
    const op = opOf(insn.code);
    switch (op) {
      case JmpOp.JA:
        return [{ state: st, idx: jumpTargetOf(insn, idx) }];
      case JmpOp.EXIT:
        return this.exit(st);
      case JmpOp.CALL:
        if (insn.src === CallSrc.PSEUDO_CALL) return this.pseudoCall(st, insn, idx);
        if (proto!.args.includes('func')) {
          // Zero iterations, or a first call of the callback.
          const entered = this.enterCallback(st.clone(), idx, proto!);
          this.helperCall(st, proto!, idx);
          return [{ state: st, idx: idx + 1 }, entered];
        }
        this.helperCall(st, proto!, idx);
        return [{ state: st, idx: idx + 1 }];
      default:
        return this.condJmp(st, insn, idx, is32, op);
    }
  }

  /**
   * A helper that calls back (bpf_loop, bpf_for_each_map_elem): the callback runs on a new frame with the
   * arguments the helper passes; its caller's registers stay as at the call until the helper returns.
   */
  private enterCallback(st: State, callIdx: number, proto: HelperProto): { state: State; idx: number } {
    const regs = st.cur.regs;
    const fn = regs[proto.args.indexOf('func') + 1]!;
    const ctxArg = regs[proto.args.indexOf('stack_or_null') + 1] ?? NOT_INIT;
    if (st.frames.length >= MAX_CALL_FRAMES) throw new RuleViolation(`the call stack of ${st.frames.length + 1} frames is too deep`, 'at most 8 nested call frames, callbacks included');
    const frame = Frame.entry(st.frames.length, fn.off, callIdx + 1, callIdx);
    if (proto.name === 'for_each_map_elem') {
      const map = regs[1]!.map;
      frame.regs[1] = regs[1]!;
      frame.regs[2] = pointerReg('map_key', { map });
      frame.regs[3] = pointerReg('map_value', { map });
      frame.regs[4] = ctxArg;
    } else {
      frame.regs[1] = unknownScalar();
      frame.regs[2] = ctxArg;
    }
    const edges = this.callEdges.get(st.cur.funcStart) ?? new Set<number>();
    edges.add(fn.off);
    this.callEdges.set(st.cur.funcStart, edges);
    st.frames.push(frame);
    return { state: st, idx: fn.off };
  }

  /** A callback returned: the helper either returns, or calls it again with whatever it changed widened. */
  private callbackExit(st: State, callee: Frame): Array<{ state: State; idx: number }> {
    const r0 = callee.regs[0]!;
    if (r0.t !== 'scalar' || r0.s.r64.umax > 1n) {
      throw new RuleViolation(`At callback return the register R0 has ${r0.t === 'scalar' ? 'a value' : typeName(r0.t)} that should have been in [0, 1]`,
        'a bpf_loop / bpf_for_each_map_elem callback returns 0 (continue) or 1 (stop)');
    }
    const calleeNo = st.frames.length;
    st.forEachReg((r) => (r.t === 'stack' && r.frame >= calleeNo ? unknownScalar() : r));
    const proto = helperById(this.insns[callee.callbackOf]!.imm)!;
    const again = st.clone();
    for (const f of again.frames) widenStack(f);
    const next = this.enterCallback(again, callee.callbackOf, proto);
    this.helperCall(st, proto, callee.callbackOf);
    return [{ state: st, idx: callee.callsite }, next];
  }

  private exit(st: State): Array<{ state: State; idx: number }> {
    if (st.frames.length === 1) return [];
    const callee = st.frames.pop()!;
    if (callee.callbackOf >= 0) return this.callbackExit(st, callee);
    const calleeNo = st.frames.length;
    const r0 = callee.regs[0]!;
    if (r0.t === 'stack' && r0.frame >= calleeNo) {
      throw new RuleViolation('cannot return stack pointer to the caller', 'the callee\'s stack is gone after it returns');
    }
    // Pointers into the dead frame cannot be used any more.
    st.forEachReg((r) => (r.t === 'stack' && r.frame >= calleeNo ? unknownScalar() : r));
    const regs = st.cur.regs;
    regs[0] = r0;
    for (let r = 1; r <= 5; r++) regs[r] = NOT_INIT;
    return [{ state: st, idx: callee.callsite }];
  }

  private pseudoCall(st: State, insn: Insn, idx: number): Array<{ state: State; idx: number }> {
    const target = idx + insn.imm + 1;
    const caller = st.cur;
    const sig = this.globals.get(target);
    if (sig) {
      // A global function was (or will be) verified on its own: check the arguments against its
      // signature, and the call returns an unknown scalar (kernel: btf_check_subprog_call).
      sig.forEach((kind, i) => {
        const r = caller.regs[i + 1]!;
        const R = `R${i + 1}`;
        if (kind === 'ctx') {
          if (r.t !== 'ctx' || r.off !== 0 || !isConst(r.s) || r.s.var.value !== 0n) {
            throw new RuleViolation(`arg#${i} expects pointer to ctx`, `${this.funcName(target)} takes the ctx pointer, unmodified, as argument ${i + 1}`);
          }
        } else if (typeof kind === 'object') {
          // NULL, or memory the callee may read and write in full.
          if (!(r.t === 'scalar' && isConst(r.s) && r.s.var.value === 0n)) {
            const what = `${this.funcName(target)} argument ${i + 1} (${kind.mem} bytes)`;
            checkHelperMem(st, this.env, i + 1, kind.mem, kind.mem, false, what);
            checkHelperMem(st, this.env, i + 1, kind.mem, kind.mem, true, what);
          }
        } else if (r.t !== 'scalar') {
          throw new RuleViolation(`${R} is not a scalar`, `${this.funcName(target)} takes a number as argument ${i + 1}`);
        }
      });
      const edges = this.callEdges.get(caller.funcStart) ?? new Set<number>();
      edges.add(target);
      this.callEdges.set(caller.funcStart, edges);
      for (let r = 1; r <= 5; r++) caller.regs[r] = NOT_INIT;
      caller.regs[0] = unknownScalar();
      return [{ state: st, idx: idx + 1 }];
    }
    const frame = Frame.entry(st.frames.length, target, idx + 1);
    for (let r = 1; r <= 5; r++) frame.regs[r] = caller.regs[r]!;
    const from = caller.funcStart;
    const edges = this.callEdges.get(from) ?? new Set<number>();
    edges.add(target);
    this.callEdges.set(from, edges);
    st.frames.push(frame);
    return [{ state: st, idx: target }];
  }

  private invalidate(): Reg {
    return this.strict ? NOT_INIT : unknownScalar();
  }

  private helperCall(st: State, proto: HelperProto, idx: number): void {
    const regs = st.cur.regs;
    const mapArg = proto.args.indexOf('const_map_ptr');
    const map = mapArg >= 0 ? regs[mapArg + 1]!.map : null;
    if (proto.name === 'ringbuf_submit' || proto.name === 'ringbuf_discard') {
      const ref = regs[1]!.ref;
      st.refs.delete(ref);
      st.forEachReg((r) => (r.ref === ref && ref !== 0 ? this.invalidate() : r));
    }
    if (proto.name === 'spin_lock') st.lock = { map: regs[1]!.map!, id: regs[1]!.id, insn: idx };
    if (proto.name === 'spin_unlock') st.lock = null;
    let r0: Reg;
    switch (proto.ret) {
      case 'integer': r0 = unknownScalar(); break;
      case 'void': r0 = NOT_INIT; break;
      case 'map_value_or_null': {
        const id = this.newId();
        if (map && (map.type === MapType.ARRAY_OF_MAPS || map.type === MapType.HASH_OF_MAPS)) {
          if (!map.innerMap) throw new RuleViolation(`map-in-map ${map.name} has no inner map template`, 'declare the inner map with __array(values, ...)');
          r0 = pointerReg('map_ptr_or_null', { map: map.innerMap, id });
        } else {
          // Kernel 6.18: an ARRAY lookup with a constant in-range key cannot fail (can_elide_value_nullness).
          const key = proto.name === 'map_lookup_elem' && map && (map.type === MapType.ARRAY || map.type === MapType.PERCPU_ARRAY)
            ? constStackKey(st, regs[2]!, map.keySize) : undefined;
          r0 = key !== undefined && key < BigInt(map!.maxEntries) ? pointerReg('map_value', { map, id: this.env.spinLock(map!) === undefined ? 0 : id }) : pointerReg('map_value_or_null', { map, id });
        }
        break;
      }
      case 'alloc_mem_or_null': {
        const sizeArg = proto.args.indexOf('const_alloc_size_or_zero');
        const size = Number(regs[sizeArg + 1]!.s.var.value);
        const id = this.newId();
        st.refs.set(id, idx);
        r0 = pointerReg('ringbuf_mem_or_null', { id, ref: id, size });
        break;
      }
    }
    for (let r = 1; r <= 5; r++) regs[r] = NOT_INIT;
    regs[0] = r0;
    if (proto.changesPktData) {
      // The packet may have moved: every packet pointer is stale (kernel: clear_all_pkt_pointers).
      st.forEachReg((r) => (r.t === 'pkt' || r.t === 'pkt_meta' || r.t === 'pkt_end' ? this.invalidate() : r));
    }
  }

  private condJmp(st: State, insn: Insn, idx: number, is32: boolean, op: number): Array<{ state: State; idx: number }> {
    const cmp = CMP_OPS[op]!;
    const isX = sourceOf(insn.code) === Source.X;
    const regs = st.cur.regs;
    const a = regs[insn.dst]!;
    const b = isX ? regs[insn.src]! : constReg(BigInt(insn.imm));
    const target = jumpTargetOf(insn, idx);
    const fallIdx = idx + 1;
    const out: Array<{ state: State; idx: number }> = [];
    const push = (s: State | null, to: number): void => { if (s) out.push({ state: s, idx: to }); };
    if (a.t === 'scalar' && b.t === 'scalar') {
      const w = is32 ? 32 : 64;
      let m = this.cmpMemo[idx];
      if (!m || m.a !== a.s || m.b !== b.s) {
        m = { a: a.s, b: b.s, t: refineCmp(cmp, a.s, b.s, w), f: refineCmp(NEGATE[cmp], a.s, b.s, w) };
        this.cmpMemo[idx] = m;
      }
      const { t, f } = m;
      let takenState: State | null = null;
      let fallState: State | null = null;
      if (t) {
        takenState = f ? st.clone() : st;
        this.setScalar(takenState, insn.dst, t[0]);
        if (isX) this.setScalar(takenState, insn.src, t[1]);
      }
      if (f) {
        fallState = st;
        this.setScalar(fallState, insn.dst, f[0]);
        if (isX) this.setScalar(fallState, insn.src, f[1]);
      }
      this.noteBranches(idx, !!t, !!f);
      push(fallState, fallIdx);
      push(takenState, target);
      return out;
    }
    // Pointer comparisons.
    const zero = (r: Reg): boolean => r.t === 'scalar' && isConst(r.s) && (is32 ? (r.s.var.value & U32MAX) === 0n : r.s.var.value === 0n);
    if ((cmp === 'eq' || cmp === 'ne') && ((isPointer(a) && zero(b)) || (isX && isPointer(b) && zero(a)))) {
      const ptr = isPointer(a) ? a : b;
      if (!isMaybeNull(ptr) && NEVER_NULL.has(ptr.t)) {
        // A map value or memory pointer is never NULL: only one side is possible (kernel is_branch_taken
        // with reg_not_null, which does not count ctx, stack or packet pointers).
        this.noteBranches(idx, cmp === 'ne', cmp === 'eq');
        return [{ state: st, idx: cmp === 'ne' ? target : fallIdx }];
      }
      if (!is32) {
        const nullState = st.clone();
        this.markNull(nullState, ptr, true);
        this.markNull(st, ptr, false);
        this.noteBranches(idx, true, true);
        return cmp === 'eq'
          ? [{ state: st, idx: fallIdx }, { state: nullState, idx: target }]
          : [{ state: nullState, idx: fallIdx }, { state: st, idx: target }];
      }
    }
    const taken = st.clone();
    const matched = !is32 && isX && this.matchPktPointers(cmp, a, b, taken, st);
    if (!matched && this.strict) {
      const pktish = (r: Reg): boolean => isPktAny(r) || r.t === 'pkt_end';
      const hint = 'comparing pointers needs CAP_PERFMON (strict mode), except packet pointers against data_end';
      if (isX && isPointer(b) && !(pktish(a) && pktish(b))) throw new RuleViolation(`R${insn.src} pointer comparison prohibited`, hint);
      if (isPointer(a)) throw new RuleViolation(`R${insn.dst} pointer comparison prohibited`, hint);
    }
    this.noteBranches(idx, true, true);
    return [{ state: st, idx: fallIdx }, { state: taken, idx: target }];
  }

  /** try_match_pkt_pointers: `data + N <op> data_end` in every form proves a packet range on one side. */
  private matchPktPointers(cmp: CmpOp, a: Reg, b: Reg, taken: State, fall: State): boolean {
    const isEndFor = (ptr: Reg, end: Reg): boolean =>
      (ptr.t === 'pkt' && end.t === 'pkt_end')
      || (ptr.t === 'pkt_meta' && end.t === 'pkt' && end.off === 0 && isConst(end.s) && end.s.var.value === 0n);
    let ptr: Reg;
    let ptrLeft: boolean;
    if (isEndFor(a, b)) { ptr = a; ptrLeft = true; }
    else if (isEndFor(b, a)) { ptr = b; ptrLeft = false; }
    else return false;
    // Normalise to `ptr OP end`.
    const c: CmpOp = ptrLeft ? cmp : ({ gt: 'lt', lt: 'gt', ge: 'le', le: 'ge' } as Record<string, CmpOp>)[cmp] ?? cmp;
    switch (c) {
      case 'gt': this.findGoodPkt(fall, ptr, false); return true;  // fallthrough: ptr <= end
      case 'ge': this.findGoodPkt(fall, ptr, true); return true;   // fallthrough: ptr < end
      case 'lt': this.findGoodPkt(taken, ptr, true); return true;  // taken: ptr < end
      case 'le': this.findGoodPkt(taken, ptr, false); return true; // taken: ptr <= end
      default: return true;
    }
  }

  /** find_good_pkt_pointers: every pointer sharing the id learns that [0, off) of its base is in the packet. */
  private findGoodPkt(st: State, ptr: Reg, rightOpen: boolean): void {
    if (ptr.off < 0 || (ptr.off === 0 && rightOpen)) return;
    if (ptr.s.r64.umax > BigInt(MAX_PACKET_OFF) || ptr.s.r64.umax + BigInt(ptr.off) > BigInt(MAX_PACKET_OFF)) return;
    const range = ptr.off + (rightOpen ? 1 : 0);
    st.forEachReg((r) => (r.t === ptr.t && r.id === ptr.id && r.range < range ? { ...r, range } : r));
  }

  /** mark_ptr_or_null_regs: one null check settles every copy of the pointer. */
  private markNull(st: State, ptr: Reg, isNull: boolean): void {
    const id = ptr.id;
    if (isNull && ptr.ref) st.refs.delete(ptr.ref);
    st.forEachReg((r) => {
      if (r.id !== id || !isMaybeNull(r)) return r;
      if (isNull) return constReg(0n);
      // The id stays where it names a spin lock's owner (kernel: reg_may_point_to_spin_lock).
      const keep = r.t === 'map_value_or_null' && r.map && this.env.spinLock(r.map) !== undefined;
      return { ...r, t: nonNullType(r.t), id: keep ? r.id : 0 };
    });
  }

  /** A refined scalar replaces the register and every linked copy. */
  private setScalar(st: State, regNo: number, s: Reg['s']): void {
    const old = st.cur.regs[regNo]!;
    if (old.id !== 0) st.forEachReg((r) => (r.t === 'scalar' && r.id === old.id ? { ...r, s } : r));
    else st.cur.regs[regNo] = { ...old, s };
  }

  private noteBranches(idx: number, taken: boolean, fall: boolean): void {
    this.taken[idx]! |= (taken ? 1 : 0) | (fall ? 2 : 0);
  }

  // ---- whole-program rules and results --------------------------------------------------------

  /** check_max_stack_depth: combined depth along every call chain ≤ 512; 256 when tail calls mix. */
  private checkStackDepth(): void {
    const depth = (f: number): number => roundUp16(this.stackDepth.get(f) ?? 0);
    const walk = (f: number, acc: number, chain: number): void => {
      const total = acc + depth(f);
      if (total > STACK_SIZE) {
        throw this.error(-1, new RuleViolation(`combined stack size of ${chain} calls is ${total}. Too large`,
          'bpf-to-bpf calls share one 512-byte stack: move large buffers to a per-CPU array map'), undefined);
      }
      if (this.cfg.hasTailCalls && this.cfg.hasCalls && f !== 0 && acc >= 256 && this.funcHasTailCall(f)) {
        throw this.error(-1, new RuleViolation(`tail_calls are not allowed when call stack of previous frames is ${acc} bytes. Too large`,
          'with tail calls and bpf-to-bpf calls together, each call chain may use at most 256 bytes of stack'), undefined);
      }
      for (const c of this.callEdges.get(f) ?? []) walk(c, total, chain + 1);
    };
    walk(0, 0, 1);
  }

  private funcName(start: number): string {
    return this.spec.funcs.find((f) => f.insn === start)?.name ?? `the function at insn ${start}`;
  }

  private funcHasTailCall(f: number): boolean {
    for (let i = f; i < this.insns.length && this.cfg.funcOf[i] === f; i++) {
      const insn = this.insns[i]!;
      if (insn.code === (Class.JMP | JmpOp.CALL) && insn.src === CallSrc.HELPER && helperById(insn.imm)?.name === 'tail_call') return true;
    }
    return false;
  }

  private facts(): (InsnFact | undefined)[] {
    const out: (InsnFact | undefined)[] = [];
    for (let i = 0; i < this.insns.length; i++) {
      if (this.regs32[i] === -1 && !this.taken[i]) { out.push(undefined); continue; }
      const t = this.taken[i]!;
      const fact: InsnFact = {
        regs32: this.regs32[i] === -1 ? 0 : this.regs32[i]!,
        ...(t === 1 ? { deadBranch: 'fallthrough' as const } : t === 2 ? { deadBranch: 'taken' as const } : {}),
        ...(this.access[i] ? { access: this.access[i]! } : {}),
      };
      out.push(fact);
    }
    return out;
  }

  private error(idx: number, v: RuleViolation, st: State | undefined): VerifierError {
    const source = idx >= 0 ? this.sourceLine(idx) : undefined;
    return new VerifierError(this.spec.name, {
      insn: idx,
      disasm: idx >= 0 ? disassemble(this.insns, idx) : '',
      ...(source ? { source } : {}),
      registers: st ? stateString(st) : '',
      rule: v.rule,
      ...(v.hint ? { hint: v.hint } : {}),
      ...(v.witness ? { witness: v.witness } : {}),
      ...(v.unsupported ? { unsupported: true } : {}),
      ...(this.logLines ? { log: this.logLines.slice(-400).join('\n') } : {}),
    });
  }

  private sourceLine(idx: number): SourceLine | undefined {
    let best: SourceLine | undefined;
    for (const l of this.spec.lines) {
      if (l.insn > idx) break;
      if (l.text || l.line) best = { file: l.file, line: l.line, text: l.text };
    }
    return best;
  }
}

/** r6–r9: the registers a bpf-to-bpf call preserves for its caller. */
const CALLEE_SAVED = 0b11_1100_0000;

const roundUp16 = (d: number): number => (d + 15) & ~15;

/**
 * Between callback iterations anything the callback could reach through its context pointer may have
 * changed: scalars in every caller's stack become unknown (pointers keep their type), so the second
 * entry covers all later ones.
 */
function widenStack(f: Frame): void {
  f.own();
  for (let i = 0; i < f.slots.length; i++) if (f.slots[i] === Slot.ZERO) f.slots[i] = Slot.MISC;
  for (let s = 0; s < f.spills.length; s++) {
    const sp = f.spills[s];
    if (sp && sp.t === 'scalar') f.spills[s] = unknownScalar();
  }
}

/** A global function parameter: a number, the ctx, or a pointer to `size` bytes of memory or NULL. */
type ParamKind = 'scalar' | 'ctx' | { readonly mem: number };

/**
 * The parameters of each global (non-static) function whose BTF prototype has only integer, enum and
 * `struct xdp_md *` parameters. Other global functions (pointers to memory) are verified like static ones,
 * in each caller's context — sound, though it can accept calls the kernel would check more strictly.
 */
function globalSignatures(spec: ProgramSpec, obj: ObjectSpec): Map<number, ParamKind[]> {
  const out = new Map<number, ParamKind[]>();
  const btf = obj.btf;
  if (!btf) return out;
  for (const f of spec.funcs) {
    if (f.linkage !== 'global' || f.insn === 0 || f.btfType === undefined) continue;
    const fn = btf.typeById(f.btfType);
    if (fn.kind !== 'func') continue;
    const proto = btf.typeById(fn.type);
    if (proto.kind !== 'func_proto' || proto.variadic || proto.params.length > 5) continue;
    const kinds: ParamKind[] = [];
    for (const p of proto.params) {
      const t = btf.resolve(p.type);
      if (t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64') kinds.push('scalar');
      else if (t.kind === 'ptr' && btf.resolve(t.type).name === 'xdp_md') kinds.push('ctx');
      else if (t.kind === 'ptr') {
        // btf_prepare_func_args: a pointer to a sized type is PTR_TO_MEM | PTR_MAYBE_NULL of that size.
        let size = 0;
        try { size = btf.sizeOf(t.type); } catch { break; }
        if (size <= 0) break;
        kinds.push({ mem: size });
      } else break;
    }
    if (kinds.length === proto.params.length) out.set(f.insn, kinds);
  }
  return out;
}

/** Pointer types the kernel knows are never NULL (reg_not_null). */
const NEVER_NULL: ReadonlySet<Reg['t']> = new Set(['map_value', 'ringbuf_mem', 'mem']);

/** get_constant_map_key: the key a stack pointer points at, when the stack holds a known constant there. */
function constStackKey(st: State, key: Reg, size: number): bigint | undefined {
  if (key.t !== 'stack' || !isConst(key.s)) return undefined;
  const off = key.off + Number(BigInt.asIntN(64, key.s.var.value));
  const frame = st.frames[key.frame]!;
  const i0 = STACK_SIZE + off;
  if (i0 < 0 || i0 + size > STACK_SIZE) return undefined;
  let zero = true;
  for (let i = i0; i < i0 + size; i++) if (frame.slots[i] !== Slot.ZERO) zero = false;
  if (zero) return 0n;
  const spill = frame.spills[i0 >> 3];
  // Only a spill exactly as wide as the key counts (an 8-byte spill does not make a 4-byte constant key).
  let width = 0;
  while (width < 8 && frame.slots[(i0 & ~7) + width] === Slot.SPILL) width++;
  if (width === size && (i0 & 7) === 0 && spill && spill.t === 'scalar' && isConst(spill.s)) {
    return spill.s.var.value & ((1n << BigInt(size * 8)) - 1n);
  }
  return undefined;
}
