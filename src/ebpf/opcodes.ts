/**
 * Opcode fields of RFC 9669 §3–§5. The 8-bit opcode is `class | ...`:
 *
 * ```
 *  ALU/ALU64/JMP/JMP32:   +----------+----+---------+      LD/LDX/ST/STX:  +------+------+---------+
 *                         | op (4)   |src | class(3)|                      |mode 3|size 2| class(3)|
 *                         +----------+----+---------+                      +------+------+---------+
 * ```
 */
export const Class = { LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, JMP32: 0x06, ALU64: 0x07 } as const;

/** Source bit (RFC 9669 §3.3): K = immediate, X = src register. For END (byte swap) it selects BE vs LE. */
export const Source = { K: 0x00, X: 0x08 } as const;

/** ALU operations, RFC 9669 §4.1. */
export const AluOp = {
  ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70,
  NEG: 0x80, MOD: 0x90, XOR: 0xa0, MOV: 0xb0, ARSH: 0xc0, END: 0xd0,
} as const;

/** Jump operations, RFC 9669 §4.3. */
export const JmpOp = {
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40, JNE: 0x50, JSGT: 0x60, JSGE: 0x70,
  CALL: 0x80, EXIT: 0x90, JLT: 0xa0, JLE: 0xb0, JSLT: 0xc0, JSLE: 0xd0,
} as const;

/** Load/store size, RFC 9669 §5.1. */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;

/** Load/store mode, RFC 9669 §5.1 (MEMSX: sign-extending loads, v4; ATOMIC on STX). */
export const Mode = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;

/** BPF_ATOMIC operations in `imm`, RFC 9669 §5.3. FETCH is or-ed into ADD/OR/AND/XOR. */
export const AtomicOp = { ADD: 0x00, OR: 0x40, AND: 0x50, XOR: 0xa0, FETCH: 0x01, XCHG: 0xe1, CMPXCHG: 0xf1 } as const;

/** LD_IMM64 `src` pseudo sources, RFC 9669 §5.4 / uapi BPF_PSEUDO_*. */
export const PseudoSrc = {
  IMM: 0, MAP_FD: 1, MAP_VALUE: 2, BTF_ID: 3, FUNC: 4, MAP_IDX: 5, MAP_IDX_VALUE: 6,
} as const;

/** CALL `src`: 0 helper by id, 1 bpf-to-bpf (imm = relative), 2 kfunc by BTF id. */
export const CallSrc = { HELPER: 0, PSEUDO_CALL: 1, KFUNC: 2 } as const;

export const classOf = (code: number): number => code & 0x07;
export const opOf = (code: number): number => code & 0xf0;
export const sourceOf = (code: number): number => code & 0x08;
export const sizeOf = (code: number): number => code & 0x18;
export const modeOf = (code: number): number => code & 0xe0;

/** Bytes moved by a load/store of the given size field. */
export function sizeBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size) {
    case Size.B: return 1;
    case Size.H: return 2;
    case Size.W: return 4;
    default: return 8;
  }
}

/** XDP actions (uapi enum xdp_action). */
export const XdpAction = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;
export const XDP_ACTION_NAMES = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'] as const;
