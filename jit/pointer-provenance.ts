/**
 * Which object each memory instruction's base register points into, worked out by the JIT itself for
 * `--harden` (design.md §2): the hardened module masks every access to *that* object, so the analysis must
 * not trust the verifier it backs up. It is the provenance half of the kernel's pointer types
 * (PTR_TO_CTX, PTR_TO_STACK, PTR_TO_PACKET, PTR_TO_MAP_VALUE in kernel/bpf/verifier.c) without any bounds:
 * bounds are what the mask enforces at run time.
 *
 * A forward data-flow over one sub-program's CFG: per register (and per 8-byte r10-relative spill slot) a
 * kind; pointer ± scalar keeps the pointer's kind; anything the analysis cannot follow (a join of two kinds,
 * a helper's pointer result other than a map lookup, a sub-program's parameters) is 'unknown', which the
 * hardened module confines at run time to *some* object the program may touch, trapping otherwise
 * (jit/harden.ts). So a wrong guess can only make an access slower, never send a legitimate access to the
 * wrong object: no kind is inferred that the instructions do not establish.
 */
import type { Insn } from '../src/ebpf/insn.js';
import { OP_LD_IMM64, imm64At } from '../src/ebpf/insn.js';
import { AluOp, AtomicOp, CallSrc, Class, JmpOp, Mode, PseudoSrc, Size, Source, classOf, modeOf, opOf, sizeBytes, sizeOf, sourceOf } from '../src/ebpf/opcodes.js';
import { Desc } from '../src/vm/arena-layout.js';
import type { SubProgram } from './cfg.js';
import { slotWidth } from './cfg.js';
import { HelperId } from './module-abi.js';

/**
 * `map:<A>`: the header of the map at A (LD_IMM64 src=1); `value:<A>`: a value of the map whose header is at A
 * (bpf_map_lookup_elem on map A, or LD_IMM64 src=2 into A's values).
 */
export type PointerKind = 'scalar' | 'unknown' | 'ctx' | 'stack' | 'packet' | `map:${number}` | `value:${number}`;

interface State {
  readonly regs: PointerKind[];
  /** Spilled register kinds by r10 offset (8-byte stores through r10 only). */
  readonly spills: Map<number, PointerKind>;
}

const isPointer = (k: PointerKind): boolean => k !== 'scalar' && k !== 'unknown';

function join(a: PointerKind, b: PointerKind): PointerKind {
  return a === b ? a : 'unknown';
}

function cloneState(s: State): State {
  return { regs: [...s.regs], spills: new Map(s.spills) };
}

/** Merge `from` into `into`; true when `into` changed. */
function mergeInto(into: State, from: State): boolean {
  let changed = false;
  for (let r = 0; r < 11; r++) {
    const k = join(into.regs[r]!, from.regs[r]!);
    if (k !== into.regs[r]) { into.regs[r] = k; changed = true; }
  }
  for (const [off, k] of into.spills) {
    const other = from.spills.get(off);
    const merged = other === undefined ? 'unknown' : join(k, other);
    if (merged !== k) { into.spills.set(off, merged); changed = true; }
  }
  return changed;
}

export interface ProvenanceOptions {
  /** r1 at the sub-program's entry holds the XDP context (the program's entry, not a callee or callback). */
  readonly entryIsContext: boolean;
  /** The header address of the map whose value storage holds `addr` (for LD_IMM64 src=2), if any. */
  readonly mapOfValue: (addr: number) => number | undefined;
}

/** The base register's kind at every LDX / ST / STX in `sub`, by slot. */
export function pointerProvenance(insns: readonly Insn[], sub: SubProgram, opts: ProvenanceOptions): Map<number, PointerKind> {
  const entry: State = { regs: Array<PointerKind>(11).fill('scalar'), spills: new Map() };
  if (sub.start === 0 && opts.entryIsContext) entry.regs[1] = 'ctx';
  else for (let r = 1; r <= 5; r++) entry.regs[r] = 'unknown';
  entry.regs[10] = 'stack';

  const inStates = new Map<number, State>([[sub.blocks[0]!.start, entry]]);
  const out = new Map<number, PointerKind>();
  const work = [sub.blocks[0]!.start];
  while (work.length > 0) {
    const start = work.pop()!;
    const block = sub.byStart.get(start)!;
    const s = cloneState(inStates.get(start)!);
    for (let i = block.start; i < block.end; i += slotWidth(insns[i]!)) step(insns, i, s, out, opts);
    const t = block.term;
    const succ = t.kind === 'jump' ? [t.target] : t.kind === 'fallthrough' ? [t.next] : t.kind === 'cond' ? [t.taken, t.next] : [];
    for (const n of succ) {
      if (n === null || !sub.byStart.has(n)) continue;
      const prev = inStates.get(n);
      if (prev === undefined) { inStates.set(n, cloneState(s)); work.push(n); }
      else if (mergeInto(prev, s)) work.push(n);
    }
  }
  return out;
}

function record(out: Map<number, PointerKind>, at: number, k: PointerKind): void {
  const prev = out.get(at);
  out.set(at, prev === undefined ? k : join(prev, k));
}

function step(insns: readonly Insn[], at: number, s: State, out: Map<number, PointerKind>, opts: ProvenanceOptions): void {
  const insn = insns[at]!;
  const regs = s.regs;
  const cls = classOf(insn.code);
  switch (cls) {
    case Class.ALU64:
    case Class.ALU: {
      const op = opOf(insn.code);
      const isK = sourceOf(insn.code) === Source.K;
      if (cls === Class.ALU64 && op === AluOp.MOV && !isK && insn.off === 0) { regs[insn.dst] = regs[insn.src]!; return; }
      if (cls === Class.ALU64 && (op === AluOp.ADD || op === AluOp.SUB) && isPointer(regs[insn.dst]!)) {
        // pointer ± scalar stays in its object's kind; pointer - pointer is a scalar
        if (isK || regs[insn.src] === 'scalar') return;
        regs[insn.dst] = op === AluOp.SUB && isPointer(regs[insn.src]!) ? 'scalar' : 'unknown';
        return;
      }
      regs[insn.dst] = isPointer(regs[insn.dst]!) || (!isK && isPointer(regs[insn.src]!)) ? 'unknown' : 'scalar';
      return;
    }
    case Class.LDX: {
      const base = regs[insn.src]!;
      record(out, at, base);
      let k: PointerKind = 'scalar';
      if (base === 'ctx' && sizeOf(insn.code) === Size.W) {
        if (insn.off === Desc.DATA || insn.off === Desc.DATA_META || insn.off === Desc.DATA_END) k = 'packet';
      } else if (insn.src === 10 && sizeOf(insn.code) === Size.DW && modeOf(insn.code) === Mode.MEM) {
        k = s.spills.get(insn.off) ?? 'scalar';
      } else if (base !== 'scalar' && sizeOf(insn.code) === Size.DW) {
        k = 'unknown'; // a pointer may have been stored anywhere
      }
      regs[insn.dst] = k;
      return;
    }
    case Class.ST:
    case Class.STX: {
      record(out, at, regs[insn.dst]!);
      const atomic = cls === Class.STX && modeOf(insn.code) === Mode.ATOMIC;
      if (insn.dst === 10) {
        const size = sizeBytes(sizeOf(insn.code));
        for (const off of [...s.spills.keys()]) if (off < insn.off + size && insn.off < off + 8) s.spills.delete(off);
        if (cls === Class.STX && !atomic && size === 8) s.spills.set(insn.off, regs[insn.src]!);
      } else if (regs[insn.dst] !== 'packet' && regs[insn.dst] !== 'ctx' && !regs[insn.dst]!.startsWith('value:')) {
        s.spills.clear(); // may have overwritten a spill through another stack pointer
      }
      if (atomic) regs[insn.imm === AtomicOp.CMPXCHG ? 0 : insn.src] = 'scalar';
      return;
    }
    case Class.LD:
      if (insn.code !== OP_LD_IMM64) { regs[0] = 'scalar'; return; }
      if (insn.src === PseudoSrc.MAP_FD) regs[insn.dst] = `map:${Number(imm64At(insns, at))}`;
      else if (insn.src === PseudoSrc.MAP_VALUE) {
        const owner = opts.mapOfValue(Number(imm64At(insns, at)));
        regs[insn.dst] = owner === undefined ? 'unknown' : `value:${owner}`;
      } else regs[insn.dst] = 'scalar';
      return;
    case Class.JMP:
    case Class.JMP32:
      if (opOf(insn.code) !== JmpOp.CALL) return;
      if (insn.src === CallSrc.HELPER && sourceOf(insn.code) === Source.K && insn.imm === HelperId.MAP_LOOKUP_ELEM && regs[1]!.startsWith('map:')) {
        regs[0] = `value:${Number(regs[1]!.slice(4))}`;
      } else {
        regs[0] = 'unknown';
      }
      for (let r = 1; r <= 5; r++) regs[r] = 'unknown';
      return;
    default:
  }
}
