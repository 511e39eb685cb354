/**
 * The interpreter's pre-decoded program: one entry per slot in parallel typed arrays, built once per
 * ExecProgram. The dispatch key `op` is the opcode byte with the variant that other fields select folded
 * into bits 8..11, so the hot loop is one dense switch and never re-inspects `off`/`imm` to pick semantics:
 *
 * ```
 *   op = code | variant << 8
 *   DIV/MOD       variant 1 = signed (off 1, RFC 9669 §4.1)
 *   MOV|X         variant 1/2/3 = movsx from 8/16/32 bits (off)
 *   END           variant 1/2/3 = 16/32/64-bit swap (imm)
 *   STX|ATOMIC    variant = AtomicVariant (imm)
 *   CALL          variant 0 helper, 1 bpf-to-bpf, 2 kfunc; CALL|X (0x8d) callx
 *   0             not executable (invalid, or the second slot of an LD_IMM64): faults with `invalid[i]`
 * ```
 * Registers are pre-multiplied by 2 (index of the low half in RegHalves). Immediates are kept as the low
 * and high 32-bit words of the 64-bit operand value: sign-extended imm for ALU64/JMP/ST DW (RFC 9669 §4),
 * the full constant for LD_IMM64.
 */
import type { Insn } from '../../ebpf/insn.js';
import { describeInsn } from '../../ebpf/insn-validity.js';
import { AluOp, AtomicOp, CallSrc, Class, JmpOp, Mode, PseudoSrc, Source, classOf, modeOf, opOf, sourceOf } from '../../ebpf/opcodes.js';
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

export interface PreparedProgram {
  readonly prog: ExecProgram;
  readonly length: number;
  readonly op: Uint16Array;
  readonly dst2: Uint8Array;
  readonly src2: Uint8Array;
  readonly off: Int32Array;
  readonly immLo: Uint32Array;
  readonly immHi: Uint32Array;
  /** Why slot i cannot execute (op 0), for the fault message. */
  readonly invalid: ReadonlyMap<number, string>;
}

export function prepareProgram(prog: ExecProgram): PreparedProgram {
  const insns: readonly Insn[] = prog.insns;
  const n = insns.length;
  const op = new Uint16Array(n);
  const dst2 = new Uint8Array(n);
  const src2 = new Uint8Array(n);
  const off = new Int32Array(n);
  const immLo = new Uint32Array(n);
  const immHi = new Uint32Array(n);
  const invalid = new Map<number, string>();
  for (let i = 0; i < n; i++) {
    const insn = insns[i]!;
    const d = describeInsn(insns, i);
    if (!d.valid || d.kind === 'ld_imm64_hi') {
      invalid.set(i, d.valid ? 'jump into the middle of an lddw' : d.reason);
      continue;
    }
    const { code, imm } = insn;
    dst2[i] = insn.dst * 2;
    src2[i] = insn.src * 2;
    off[i] = insn.off;
    immLo[i] = imm >>> 0;
    immHi[i] = imm < 0 ? 0xffffffff : 0;
    op[i] = code | (variantOf(insn) << 8);
    if (d.kind === 'ld_imm64') {
      const hi = insns[i + 1]!.imm;
      switch (insn.src) {
        // Bound map and map-value references: the loader already put the u32 arena address in imm.
        case PseudoSrc.MAP_FD: case PseudoSrc.MAP_VALUE: case PseudoSrc.MAP_IDX: case PseudoSrc.MAP_IDX_VALUE:
          immHi[i] = 0;
          break;
        // A function reference (bpf_loop callback...) becomes the callee's absolute slot index, which
        // helpers hand back to HelperCall.callback().
        case PseudoSrc.FUNC:
          immLo[i] = i + 1 + imm;
          immHi[i] = 0;
          break;
        default:
          immHi[i] = hi >>> 0;
      }
      i++;
    }
  }
  return { prog, length: n, op, dst2, src2, off, immLo, immHi, invalid };
}

function variantOf(insn: Insn): number {
  const { code, src, off, imm } = insn;
  const cls = classOf(code);
  if (cls === Class.ALU || cls === Class.ALU64) {
    const o = opOf(code);
    if ((o === AluOp.DIV || o === AluOp.MOD) && off === 1) return 1;
    if (o === AluOp.MOV && sourceOf(code) === Source.X && off !== 0) return off === 8 ? 1 : off === 16 ? 2 : 3;
    if (o === AluOp.END) return imm === 16 ? 1 : imm === 32 ? 2 : 3;
    return 0;
  }
  if (cls === Class.STX && modeOf(code) === Mode.ATOMIC) return ATOMIC_VARIANT[imm]!;
  if (cls === Class.JMP && opOf(code) === JmpOp.CALL && sourceOf(code) === Source.K) {
    return src === CallSrc.PSEUDO_CALL ? 1 : src === CallSrc.KFUNC ? 2 : 0;
  }
  return 0;
}
