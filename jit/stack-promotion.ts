/**
 * Promotion of eBPF stack slots to wasm locals (design.md §3: neither Binaryen nor V8 removes a stack store
 * followed by its reload, so this is the JIT's job).
 *
 * An access range [off, off+size) at r10+off can live in an i64 local when nothing can reach those bytes
 * except the accesses that name exactly that range through r10. Within each basic block the analysis
 * tracks registers holding r10+K (`rX = r10; rX += K`, clang's way of passing a stack buffer):
 *  - passed to a helper (r1..r5 at a helper call): the helper may touch [K, 0) — the verifier keeps a
 *    helper's access inside the frame, above K — so those bytes are pinned to memory;
 *  - used as a load/store base: [K+off, K+off+size) is pinned;
 *  - anything else (stored to memory, passed to a bpf-to-bpf call or to a helper that hands it to a
 *    callback, returned, other arithmetic,
 *    or still held at the end of the block, where the tracking stops): the whole frame escapes and nothing
 *    is promoted.
 * Atomics on the stack pin their range. A promoted store keeps the value truncated to its size and a load
 * zero- or sign-extends it, which is what the memory round trip would give.
 */
import type { Insn } from '../src/ebpf/insn.js';
import { OP_LD_IMM64 } from '../src/ebpf/insn.js';
import { AluOp, AtomicOp, CallSrc, Class, JmpOp, Mode, Source, classOf, modeOf, opOf, sizeBytes, sizeOf, sourceOf } from '../src/ebpf/opcodes.js';
import type { SubProgram } from './cfg.js';
import { slotWidth } from './cfg.js';

const FP = 10;
/**
 * Helpers that pass a pointer argument on to a callback sub-program (bpf_for_each_map_elem, bpf_timer_set_callback,
 * bpf_loop, bpf_user_ringbuf_drain): the callback may move the pointer anywhere in the frame.
 */
const CALLBACK_HELPERS: ReadonlySet<number> = new Set([164, 170, 181, 209]);

/** Key of one promoted access range. */
export const slotKey = (off: number, size: number): string => `${off}:${size}`;

interface Range { readonly off: number; readonly size: number }

class FrameEscapes extends Error {}

/** The promotable ranges of a sub-program as slotKey strings (empty when the frame escapes). */
export function promotableStackSlots(insns: readonly Insn[], sub: SubProgram): Set<string> {
  const direct = new Map<string, Range>();
  const pinned: Range[] = [];
  try {
    for (const b of sub.blocks) scanBlock(insns, b.start, b.end, direct, pinned);
  } catch (e) {
    if (e instanceof FrameEscapes) return new Set();
    throw e;
  }
  const list = [...direct.values()];
  const overlaps = (a: Range, o: Range): boolean => o.off < a.off + a.size && a.off < o.off + o.size;
  const out = new Set<string>();
  for (const r of list) {
    if (list.some((o) => o !== r && overlaps(r, o))) continue;
    if (pinned.some((p) => overlaps(r, p))) continue;
    out.add(slotKey(r.off, r.size));
  }
  return out;
}

function scanBlock(insns: readonly Insn[], start: number, end: number, direct: Map<string, Range>, pinned: Range[]): void {
  /** Registers holding r10 + K within this block. */
  const fp = new Map<number, number>();
  const isFp = (r: number): boolean => r === FP || fp.has(r);
  const k = (r: number): number => (r === FP ? 0 : fp.get(r)!);
  const access = (base: number, off: number, size: number, promotable: boolean): void => {
    if (base === FP && promotable) direct.set(slotKey(off, size), { off, size });
    else if (isFp(base)) pinned.push({ off: k(base) + off, size });
  };
  for (let i = start; i < end; i += slotWidth(insns[i]!)) {
    const insn = insns[i]!;
    const size = sizeBytes(sizeOf(insn.code));
    const mode = modeOf(insn.code);
    switch (classOf(insn.code)) {
      case Class.LDX:
        access(insn.src, insn.off, size, mode === Mode.MEM || mode === Mode.MEMSX);
        fp.delete(insn.dst);
        break;
      case Class.ST:
        access(insn.dst, insn.off, size, mode === Mode.MEM);
        break;
      case Class.STX:
        if (isFp(insn.src)) throw new FrameEscapes();
        access(insn.dst, insn.off, size, mode === Mode.MEM);
        if (mode === Mode.ATOMIC) fp.delete(insn.imm === AtomicOp.CMPXCHG ? 0 : insn.src);
        break;
      case Class.LD:
        if (insn.code === OP_LD_IMM64) fp.delete(insn.dst);
        break;
      case Class.ALU:
      case Class.ALU64: {
        const is64 = classOf(insn.code) === Class.ALU64;
        const x = sourceOf(insn.code) === Source.X;
        const op = opOf(insn.code);
        if (insn.dst === FP) throw new FrameEscapes();
        if (is64 && op === AluOp.MOV && x && insn.off === 0 && isFp(insn.src)) {
          fp.set(insn.dst, k(insn.src));
        } else if (is64 && !x && fp.has(insn.dst) && (op === AluOp.ADD || op === AluOp.SUB)) {
          fp.set(insn.dst, fp.get(insn.dst)! + (op === AluOp.ADD ? insn.imm : -insn.imm));
        } else if ((x && isFp(insn.src)) || (fp.has(insn.dst) && op !== AluOp.MOV)) {
          // Arithmetic on a stack pointer other than ±K, or a stack pointer mixed into a value (a MOV only
          // overwrites the tracked register, which is harmless).
          throw new FrameEscapes();
        } else {
          fp.delete(insn.dst);
        }
        break;
      }
      case Class.JMP:
      case Class.JMP32: {
        const op = opOf(insn.code);
        if (op === JmpOp.EXIT) {
          if (fp.has(0)) throw new FrameEscapes();
        } else if (op === JmpOp.CALL) {
          const helper = sourceOf(insn.code) === Source.K && insn.src === CallSrc.HELPER && !CALLBACK_HELPERS.has(insn.imm);
          if (sourceOf(insn.code) === Source.X && isFp(insn.dst)) throw new FrameEscapes();
          for (let r = 1; r <= 5; r++) {
            if (!fp.has(r)) continue;
            if (!helper) throw new FrameEscapes();
            const base = fp.get(r)!;
            pinned.push({ off: base, size: -base });
          }
          for (let r = 0; r <= 5; r++) fp.delete(r);
        }
        break;
      }
      default:
        break;
    }
  }
  if (fp.size > 0) throw new FrameEscapes();
}
