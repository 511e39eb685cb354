/**
 * The interpreter's pre-decoded program: one entry per slot in parallel typed arrays, built once per
 * ExecProgram. The dispatch key `op` is one byte: the opcode itself when the opcode alone fixes the
 * semantics, else a synthetic code taken from the ST-class bytes RFC 9669 leaves unused (ST only has
 * MEM mode), so the hot loop is one dense 256-way switch that V8 compiles to a jump table and never
 * re-inspects `off`/`imm` to pick semantics:
 *
 * ```
 *   0x02 sdiv32 K   0x0a sdiv32 X   0x12 sdiv64 K   0x1a sdiv64 X      (DIV, off 1)
 *   0x22 smod32 K   0x2a smod32 X   0x32 smod64 K   0x3a smod64 X      (MOD, off 1)
 *   0x42 w = (s8)w  0x4a w = (s16)w 0x52 r = (s8)r  0x5a r = (s16)r  0x82 r = (s32)r   (MOV|X, off 8/16/32)
 *   0x8a le16       0x92 le32       0x9a le64 (no-op on a little-endian machine)
 *   0xa2 be16/bswap16  0xaa be32/bswap32  0xb2 be64/bswap64
 *   0xba bpf-to-bpf call (CALL src 1)   0xc2 kfunc call (CALL src 2)
 *   0xc3 / 0xdb     32/64-bit atomics; the operation is in `aux` (AtomicVariant)
 *   0x00            not executable (invalid, or the second slot of an LD_IMM64): faults with `invalid[i]`
 *   0xca and unused LD-class bytes: superinstructions (superinstructions.ts), set after decoding
 * ```
 * Each slot is four int32 words in one array (one bounds check and one cache line per instruction,
 * measured ≈25% faster than parallel arrays):
 * ```
 *   word 0   dispatch code | dst*2 << 8 | src*2 << 16 | AtomicVariant << 24   (registers pre-multiplied by 2:
 *                                                                           the low half's RegHalves index)
 *   word 1   offset; for jumps and bpf-to-bpf calls the absolute target slot (i + 1 + off, or + imm for
 *            JA32 and CALL), so a taken branch is one load
 *   word 2   low 32 bits of the operand value   } sign-extended imm for ALU64/JMP/ST DW (RFC 9669 §4),
 *   word 3   high 32 bits of the operand value  } the full constant for LD_IMM64
 * ```
 */
import type { Insn } from '../../ebpf/insn.js';
import { describeInsn } from '../../ebpf/insn-validity.js';
import { AluOp, AtomicOp, CallSrc, Class, JmpOp, PseudoSrc, Source, classOf, opOf, sourceOf } from '../../ebpf/opcodes.js';
import type { ExecProgram } from '../exec-types.js';

export const AtomicVariant = {
  ADD: 1, OR: 2, AND: 3, XOR: 4, FETCH_ADD: 5, FETCH_OR: 6, FETCH_AND: 7, FETCH_XOR: 8, XCHG: 9, CMPXCHG: 10,
} as const;

const ATOMIC_VARIANT: Readonly<Record<number, number>> = {
  [AtomicOp.ADD]: AtomicVariant.ADD, [AtomicOp.OR]: AtomicVariant.OR, [AtomicOp.AND]: AtomicVariant.AND,
  [AtomicOp.XOR]: AtomicVariant.XOR, [AtomicOp.ADD | AtomicOp.FETCH]: AtomicVariant.FETCH_ADD,
  [AtomicOp.OR | AtomicOp.FETCH]: AtomicVariant.FETCH_OR, [AtomicOp.AND | AtomicOp.FETCH]: AtomicVariant.FETCH_AND,
  [AtomicOp.XOR | AtomicOp.FETCH]: AtomicVariant.FETCH_XOR, [AtomicOp.XCHG]: AtomicVariant.XCHG,
  [AtomicOp.CMPXCHG]: AtomicVariant.CMPXCHG,
};

export const SLOT_WORDS = 4;

export interface PreparedProgram {
  readonly prog: ExecProgram;
  readonly length: number;
  /** 4 words per slot, see above. */
  readonly code: Int32Array;
  /** Why slot i cannot execute (op 0), for the fault message. */
  readonly invalid: ReadonlyMap<number, string>;
}

export function prepareProgram(prog: ExecProgram): PreparedProgram {
  const insns: readonly Insn[] = prog.insns;
  const n = insns.length;
  const code = new Int32Array(n * SLOT_WORDS);
  const invalid = new Map<number, string>();
  for (let i = 0; i < n; i++) {
    const insn = insns[i]!;
    const d = describeInsn(insns, i);
    if (!d.valid || d.kind === 'ld_imm64_hi') {
      invalid.set(i, d.valid ? 'jump into the middle of an lddw' : d.reason);
      continue;
    }
    const { imm } = insn;
    const w = i * SLOT_WORDS;
    const variant = d.kind === 'atomic' ? ATOMIC_VARIANT[imm]! : 0;
    code[w] = dispatchCode(insn) | (insn.dst * 2) << 8 | (insn.src * 2) << 16 | variant << 24;
    code[w + 1] = branchTarget(insn, i) ?? insn.off;
    code[w + 2] = imm;
    code[w + 3] = imm < 0 ? -1 : 0;
    if (d.kind === 'ld_imm64') {
      const hi = insns[i + 1]!.imm;
      switch (insn.src) {
        // Bound map and map-value references: the loader already put the u32 arena address in imm.
        case PseudoSrc.MAP_FD: case PseudoSrc.MAP_VALUE: case PseudoSrc.MAP_IDX: case PseudoSrc.MAP_IDX_VALUE:
          code[w + 3] = 0;
          break;
        // A function reference (bpf_loop callback...) becomes the callee's absolute slot index, which
        // helpers hand back to HelperCall.callback().
        case PseudoSrc.FUNC:
          code[w + 2] = i + 1 + imm;
          code[w + 3] = 0;
          break;
        default:
          code[w + 3] = hi;
      }
      i++;
    }
  }
  return { prog, length: n, code, invalid };
}

/**
 * Absolute target slot of a jump (JA32 `gotol` jumps by imm, RFC 9669 §4.3) or a bpf-to-bpf call; undefined
 * for every other instruction. An out-of-range target faults when reached, as a relative one did.
 */
function branchTarget(insn: Insn, i: number): number | undefined {
  const cls = classOf(insn.code);
  if (cls !== Class.JMP && cls !== Class.JMP32) return undefined;
  const o = opOf(insn.code);
  if (o === JmpOp.EXIT) return undefined;
  if (o === JmpOp.CALL) return insn.src === CallSrc.PSEUDO_CALL && sourceOf(insn.code) === Source.K ? i + 1 + insn.imm : undefined;
  return i + 1 + (cls === Class.JMP32 && o === JmpOp.JA ? insn.imm : insn.off);
}

/** Synthetic dispatch codes (see the table above). */
export const Dispatch = {
  SDIV32_K: 0x02, SDIV32_X: 0x0a, SDIV64_K: 0x12, SDIV64_X: 0x1a,
  SMOD32_K: 0x22, SMOD32_X: 0x2a, SMOD64_K: 0x32, SMOD64_X: 0x3a,
  MOVSX8_32: 0x42, MOVSX16_32: 0x4a, MOVSX8_64: 0x52, MOVSX16_64: 0x5a, MOVSX32_64: 0x82,
  LE16: 0x8a, LE32: 0x92, LE64: 0x9a, SWAP16: 0xa2, SWAP32: 0xaa, SWAP64: 0xb2,
  CALL_LOCAL: 0xba, CALL_KFUNC: 0xc2,
} as const;

function dispatchCode(insn: Insn): number {
  const { code, src, off, imm } = insn;
  const cls = classOf(code);
  if (cls === Class.ALU || cls === Class.ALU64) {
    const o = opOf(code);
    const is64 = cls === Class.ALU64;
    const isX = sourceOf(code) === Source.X;
    if (o === AluOp.DIV && off === 1) return is64 ? (isX ? Dispatch.SDIV64_X : Dispatch.SDIV64_K) : (isX ? Dispatch.SDIV32_X : Dispatch.SDIV32_K);
    if (o === AluOp.MOD && off === 1) return is64 ? (isX ? Dispatch.SMOD64_X : Dispatch.SMOD64_K) : (isX ? Dispatch.SMOD32_X : Dispatch.SMOD32_K);
    if (o === AluOp.MOV && isX && off !== 0) {
      if (off === 32) return Dispatch.MOVSX32_64;
      if (off === 8) return is64 ? Dispatch.MOVSX8_64 : Dispatch.MOVSX8_32;
      return is64 ? Dispatch.MOVSX16_64 : Dispatch.MOVSX16_32;
    }
    if (o === AluOp.END) {
      // ALU|END|K is "to little-endian"; ALU|END|X ("to big-endian") and ALU64|END (bswap) always swap.
      if (!is64 && !isX) return imm === 16 ? Dispatch.LE16 : imm === 32 ? Dispatch.LE32 : Dispatch.LE64;
      return imm === 16 ? Dispatch.SWAP16 : imm === 32 ? Dispatch.SWAP32 : Dispatch.SWAP64;
    }
    return code;
  }
  if (cls === Class.JMP && opOf(code) === JmpOp.CALL && sourceOf(code) === Source.K) {
    return src === CallSrc.PSEUDO_CALL ? Dispatch.CALL_LOCAL : src === CallSrc.KFUNC ? Dispatch.CALL_KFUNC : code;
  }
  return code;
}
