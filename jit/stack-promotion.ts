/**
 * Promotion of eBPF stack slots to wasm locals (design.md §3: neither Binaryen nor V8 removes a stack store
 * followed by its reload, so this is the JIT's job).
 *
 * A sub-program's frame can only be reached through its own r10 or through a pointer derived from it. If r10
 * is used nowhere except as the base register of LDX/ST/STX (not atomics) with a constant offset, the frame's
 * address never escapes: no helper, callee or callback can see it. Then every access range [off, off+size)
 * that no *other* access range overlaps is private to the accesses that name it exactly, and can live in an
 * i64 local. A store keeps the value truncated to its size; a load reads it back (zero- or sign-extended
 * as its mode says), which is what the memory round trip would give.
 */
import type { Insn } from '../src/ebpf/insn.js';
import { Class, JmpOp, Mode, Source, classOf, modeOf, opOf, sizeBytes, sizeOf, sourceOf } from '../src/ebpf/opcodes.js';
import { slotWidth } from './cfg.js';

const FP = 10;

/** Key of one promoted access range. */
export const slotKey = (off: number, size: number): string => `${off}:${size}`;

/** Returns the promotable ranges of a sub-program as slotKey strings (empty when the frame escapes). */
export function promotableStackSlots(insns: readonly Insn[], start: number, end: number): Set<string> {
  const ranges = new Map<string, { off: number; size: number }>();
  for (let i = start; i < end; i += slotWidth(insns[i]!)) {
    const insn = insns[i]!;
    const cls = classOf(insn.code);
    const mode = modeOf(insn.code);
    const size = sizeBytes(sizeOf(insn.code));
    switch (cls) {
      case Class.LDX:
        if (insn.src === FP && (mode === Mode.MEM || mode === Mode.MEMSX)) ranges.set(slotKey(insn.off, size), { off: insn.off, size });
        break;
      case Class.ST:
        if (insn.dst === FP && mode === Mode.MEM) ranges.set(slotKey(insn.off, size), { off: insn.off, size });
        break;
      case Class.STX:
        if (insn.src === FP) return new Set();
        if (insn.dst === FP) {
          if (mode !== Mode.MEM) return new Set();
          ranges.set(slotKey(insn.off, size), { off: insn.off, size });
        }
        break;
      case Class.ALU:
      case Class.ALU64:
        if (insn.dst === FP || (sourceOf(insn.code) === Source.X && insn.src === FP)) return new Set();
        break;
      case Class.JMP:
      case Class.JMP32: {
        const op = opOf(insn.code);
        if (op === JmpOp.CALL || op === JmpOp.EXIT || op === JmpOp.JA) {
          // callx names its target register in dst.
          if (op === JmpOp.CALL && sourceOf(insn.code) === Source.X && insn.dst === FP) return new Set();
          break;
        }
        if (insn.dst === FP || (sourceOf(insn.code) === Source.X && insn.src === FP)) return new Set();
        break;
      }
      default:
        if (insn.dst === FP) return new Set();
    }
  }
  const list = [...ranges.values()];
  const out = new Set<string>();
  for (const r of list) {
    const overlapped = list.some((o) => o !== r && o.off < r.off + r.size && r.off < o.off + o.size);
    if (!overlapped) out.add(slotKey(r.off, r.size));
  }
  return out;
}
