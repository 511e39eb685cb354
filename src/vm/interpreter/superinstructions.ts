/**
 * Superinstructions: clang's frequent two- and three-instruction idioms become one dispatch of the
 * interpreter's loop, on the first slot of the sequence. The fused case reads the later slots' words in place
 * (slot i + 1 at b + 4..7, i + 2 at b + 8..11), so those slots keep their own decoding and a jump that lands
 * on them runs them alone: no jump-target analysis is needed. Each fused form is observably the same
 * instructions in order: only the first may fault (a load, with its own index), a jump's budget check names
 * the jump's slot, and the instruction count is unchanged (the loop counts by slot distance).
 *
 * Dispatch codes are bytes RFC 9669 leaves unused: 0xca from the ST class (as prepared.ts's synthetic codes),
 * the others from the LD class (LD only has IMM DW, ABS and IND):
 *
 * ```
 *   0xca  MOV_ADD64_K        rD = rS; rD += K                 pointer plus constant (≈7% of programs/*.o slots)
 *   0x88  MOV_ADD64_K_JGT_X  rD = rS; rD += K; if rD > rT goto  the packet bounds check `data + n > data_end`
 *   0x90  ADD64_K_JGT_X      rD += K; if rD > rT goto          the same, entered at the ADD
 *   0x08  MOV_ADD64_X        rD = rS; rD += rT  (T ≠ D)
 *   0x10  MOV_RSH64_K        rD = rS; rD >>= K                 field extraction
 *   0x60  MOV_LSH64_K        rD = rS; rD <<= K
 *   0x70  ADD64_K_JA         rD += K; goto                     loop counters
 *   0x78  AND64_K_JEQ_K      rD &= K; if rD == K2 goto         flag tests
 *   0x80  AND64_K_JNE_K      rD &= K; if rD != K2 goto
 *   0x98  LDXH_BE16          rD = *(u16 *)(rS + off); rD = be16(rD)   network-order header fields
 *   0xa0  LDXW_BE32          rD = *(u32 *)(rS + off); rD = be32(rD)
 * ```
 */
import { Dispatch, SLOT_WORDS, type PreparedProgram } from './prepared.js';

export const Fused = {
  MOV_ADD64_K: 0xca, MOV_ADD64_K_JGT_X: 0x88, ADD64_K_JGT_X: 0x90, MOV_ADD64_X: 0x08, MOV_RSH64_K: 0x10,
  MOV_LSH64_K: 0x60, ADD64_K_JA: 0x70, AND64_K_JEQ_K: 0x78, AND64_K_JNE_K: 0x80, LDXH_BE16: 0x98, LDXW_BE32: 0xa0,
} as const;

// Dispatch codes of the plain instructions the idioms are made of (opcodes, or prepared.ts's synthetic codes).
const MOV64_X = 0xbf, ADD64_K = 0x07, ADD64_X = 0x0f, RSH64_K = 0x77, LSH64_K = 0x67, AND64_K = 0x57;
const JA = 0x05, JGT64_X = 0x2d, JEQ64_K = 0x15, JNE64_K = 0x55, LDXH = 0x69, LDXW = 0x61;
const SWAP16 = Dispatch.SWAP16, SWAP32 = Dispatch.SWAP32;

/** Rewrites the first slot's dispatch code of each idiom in `p.code`, in place; returns `p`. */
export function fuseSuperinstructions(p: PreparedProgram): PreparedProgram {
  const { code, length } = p;
  const op = new Uint8Array(length + 2);
  for (let i = 0; i < length; i++) op[i] = code[i * SLOT_WORDS]! & 0xff;
  const dst = (i: number): number => (code[i * SLOT_WORDS]! >> 8) & 0xff;
  const src = (i: number): number => (code[i * SLOT_WORDS]! >> 16) & 0xff;
  for (let i = 0; i + 1 < length; i++) {
    const a = op[i]!, b = op[i + 1]!, c = op[i + 2]!;
    const same = dst(i) === dst(i + 1);
    let f = 0;
    if (a === MOV64_X && b === ADD64_K && same) {
      f = c === JGT64_X && dst(i + 2) === dst(i) ? Fused.MOV_ADD64_K_JGT_X : Fused.MOV_ADD64_K;
    } else if (a === MOV64_X && b === ADD64_X && same && src(i + 1) !== dst(i)) f = Fused.MOV_ADD64_X;
    else if (a === MOV64_X && b === RSH64_K && same) f = Fused.MOV_RSH64_K;
    else if (a === MOV64_X && b === LSH64_K && same) f = Fused.MOV_LSH64_K;
    else if (a === ADD64_K && b === JGT64_X && same) f = Fused.ADD64_K_JGT_X;
    else if (a === ADD64_K && b === JA) f = Fused.ADD64_K_JA;
    else if (a === AND64_K && b === JEQ64_K && same) f = Fused.AND64_K_JEQ_K;
    else if (a === AND64_K && b === JNE64_K && same) f = Fused.AND64_K_JNE_K;
    else if (a === LDXH && b === SWAP16 && same) f = Fused.LDXH_BE16;
    else if (a === LDXW && b === SWAP32 && same) f = Fused.LDXW_BE32;
    if (f !== 0) code[i * SLOT_WORDS] = (code[i * SLOT_WORDS]! & ~0xff) | f;
  }
  return p;
}
