/**
 * One eBPF instruction slot, as RFC 9669 §3 encodes it (little-endian, `bpfel`):
 *
 * ```
 *  byte:   0        1          2     3     4     5     6     7
 *        +--------+----+----+-----------+-----------------------+
 *        | opcode |dst |src |  offset   |       immediate       |
 *        +--------+----+----+-----------+-----------------------+
 *                  lo4  hi4   s16 LE             s32 LE
 * ```
 *
 * A wide instruction (LD_IMM64, opcode 0x18) takes two slots; the second slot's opcode, registers and
 * offset are zero and its immediate is the upper 32 bits. Instruction *indices* count slots, exactly as the
 * kernel's do, so jump offsets, verifier messages and BTF line_info all agree on numbering; the second slot
 * of a wide instruction is kept in the array as a `Insn` with `code` 0.
 */
export interface Insn {
  readonly code: number;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
  readonly imm: number;
}

export const INSN_SIZE = 8;

/** The second slot of an LD_IMM64 carries only the upper immediate. */
export const OP_LD_IMM64 = 0x18;

export class InsnDecodeError extends Error {
  constructor(message: string, readonly byteOffset: number) {
    super(message);
    this.name = 'InsnDecodeError';
  }
}

/** Decode a little-endian instruction stream. Throws InsnDecodeError on a length that is not a multiple of 8. */
export function decodeInsns(bytes: Uint8Array): Insn[] {
  if (bytes.length % INSN_SIZE !== 0) {
    throw new InsnDecodeError(`instruction stream of ${bytes.length} bytes is not a multiple of 8`, bytes.length);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  for (let p = 0; p < bytes.length; p += INSN_SIZE) {
    const regs = dv.getUint8(p + 1);
    out.push(Object.freeze({
      code: dv.getUint8(p),
      dst: regs & 0x0f,
      src: regs >>> 4,
      off: dv.getInt16(p + 2, true),
      imm: dv.getInt32(p + 4, true),
    }));
  }
  return out;
}

export function encodeInsns(insns: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length * INSN_SIZE);
  const dv = new DataView(out.buffer);
  insns.forEach((i, n) => {
    const p = n * INSN_SIZE;
    dv.setUint8(p, i.code);
    dv.setUint8(p + 1, (i.dst & 0x0f) | ((i.src & 0x0f) << 4));
    dv.setInt16(p + 2, i.off, true);
    dv.setInt32(p + 4, i.imm, true);
  });
  return out;
}

/** The 64-bit immediate of the LD_IMM64 at `index` (low half in slot index, high half in slot index+1). */
export function imm64At(insns: readonly Insn[], index: number): bigint {
  const lo = BigInt(insns[index]!.imm >>> 0);
  const hi = BigInt((insns[index + 1]?.imm ?? 0) >>> 0);
  return (hi << 32n) | lo;
}
