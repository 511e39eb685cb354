/**
 * Which instructions are legal, per RFC 9669 §3–§5 plus the extensions the kernel accepts (legacy packet
 * loads, §5.5) and one it does not (`callx`, counted as a non-kernel extension, design.md §3a).
 *
 * `isValidOpcode` looks at the opcode byte alone; `describeInsn` also checks the other fields the RFC fixes
 * (reserved registers/offsets/immediates must be zero, END widths, atomic operations, pseudo sources...) and
 * classifies the instruction, so the verifier, the interpreter and the disassembler agree on one decoding.
 */
import { OP_LD_IMM64, type Insn } from './insn.js';
import {
  AluOp, AtomicOp, CallSrc, Class, JmpOp, Mode, PseudoSrc, Size, Source,
  classOf, modeOf, opOf, sizeBytes, sizeOf, sourceOf,
} from './opcodes.js';

export type InsnKind =
  | 'alu' | 'alu64' | 'neg' | 'neg64' | 'end' | 'bswap' | 'movsx' | 'movsx64'
  | 'ld_imm64' | 'ld_imm64_hi' | 'ld_abs' | 'ld_ind' | 'ldx' | 'ldxsx' | 'st' | 'stx' | 'atomic'
  | 'ja' | 'ja32' | 'jcond' | 'jcond32' | 'call_helper' | 'call_local' | 'call_kfunc' | 'callx' | 'exit';

export interface ValidInsn {
  readonly valid: true;
  readonly kind: InsnKind;
  /** Slots taken: 2 for LD_IMM64, else 1. */
  readonly slots: 1 | 2;
  /** Bytes accessed by a memory instruction, 0 otherwise. */
  readonly accessSize: 0 | 1 | 2 | 4 | 8;
  /** true for the ops that RFC 9669 lists only as CPU v4 (sdiv/smod, movsx, ldsx, bswap, ja32). */
  readonly v4: boolean;
}

export interface InvalidInsn {
  readonly valid: false;
  readonly reason: string;
}

export type InsnDescription = ValidInsn | InvalidInsn;

const MAX_REG = 10;

/** The opcode byte alone is one RFC 9669 defines (or a legacy/extension form listed above). */
export function isValidOpcode(code: number): boolean {
  const cls = classOf(code);
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const op = opOf(code);
      if (op > AluOp.END) return false;
      if (op === AluOp.NEG) return sourceOf(code) === Source.K;
      // ALU64|END|X is reserved; ALU64|END|K is the unconditional bswap (v4).
      if (op === AluOp.END && cls === Class.ALU64) return sourceOf(code) === Source.K;
      return true;
    }
    case Class.JMP:
    case Class.JMP32: {
      const op = opOf(code);
      if (op > JmpOp.JSLE) return false;
      if (op === JmpOp.JA) return sourceOf(code) === Source.K;
      if (op === JmpOp.EXIT) return sourceOf(code) === Source.K && cls === Class.JMP;
      // CALL|X is callx (non-kernel extension); neither call nor exit exists in JMP32.
      if (op === JmpOp.CALL) return cls === Class.JMP;
      return true;
    }
    case Class.LD: {
      const mode = modeOf(code);
      if (mode === Mode.IMM) return sizeOf(code) === Size.DW;
      if (mode === Mode.ABS || mode === Mode.IND) return sizeOf(code) !== Size.DW;
      return false;
    }
    case Class.LDX: {
      const mode = modeOf(code);
      return mode === Mode.MEM || (mode === Mode.MEMSX && sizeOf(code) !== Size.DW);
    }
    case Class.ST:
      return modeOf(code) === Mode.MEM;
    default: {
      const mode = modeOf(code);
      return mode === Mode.MEM || (mode === Mode.ATOMIC && (sizeOf(code) === Size.W || sizeOf(code) === Size.DW));
    }
  }
}

const ATOMIC_IMMS: ReadonlySet<number> = new Set([
  AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR,
  AtomicOp.ADD | AtomicOp.FETCH, AtomicOp.OR | AtomicOp.FETCH, AtomicOp.AND | AtomicOp.FETCH,
  AtomicOp.XOR | AtomicOp.FETCH, AtomicOp.XCHG, AtomicOp.CMPXCHG,
]);

const ok = (kind: InsnKind, slots: 1 | 2 = 1, accessSize: 0 | 1 | 2 | 4 | 8 = 0, v4 = false): ValidInsn =>
  ({ valid: true, kind, slots, accessSize, v4 });
const bad = (reason: string): InvalidInsn => ({ valid: false, reason });

/**
 * Decode and check the instruction at `index`. The second slot of an LD_IMM64 is described as
 * `ld_imm64_hi` only when it follows one; a stray code-0 slot is invalid.
 */
export function describeInsn(insns: readonly Insn[], index: number): InsnDescription {
  const insn = insns[index];
  if (insn === undefined) return bad(`no instruction at ${index}`);
  const { code, dst, src, off, imm } = insn;
  if (code === 0 && index > 0 && insns[index - 1]!.code === OP_LD_IMM64) {
    if (dst !== 0 || src !== 0 || off !== 0) return bad('second slot of lddw has nonzero reserved fields');
    return ok('ld_imm64_hi');
  }
  if (!isValidOpcode(code)) return bad(`invalid opcode 0x${code.toString(16).padStart(2, '0')}`);
  if (dst > MAX_REG) return bad(`invalid dst register r${dst}`);
  if (src > MAX_REG) return bad(`invalid src register r${src}`);
  const cls = classOf(code);
  switch (cls) {
    case Class.ALU:
    case Class.ALU64:
      return describeAlu(cls === Class.ALU64, code, src, off, imm);
    case Class.JMP:
    case Class.JMP32:
      return describeJmp(cls === Class.JMP32, code, dst, src, off, imm);
    case Class.LD: {
      const mode = modeOf(code);
      if (mode === Mode.IMM) {
        if (off !== 0) return bad('lddw offset must be 0');
        if (src > PseudoSrc.MAP_IDX_VALUE) return bad(`lddw has unknown pseudo source ${src}`);
        const hi = insns[index + 1];
        if (hi === undefined) return bad('lddw is missing its second slot');
        if (hi.code !== 0 || hi.dst !== 0 || hi.src !== 0 || hi.off !== 0) return bad('second slot of lddw must have only an immediate');
        return ok('ld_imm64', 2);
      }
      // Legacy packet loads (RFC 9669 §5.5): r0 = ntohX(skb[...]), dst and off reserved.
      if (dst !== 0 || off !== 0) return bad('legacy packet load has nonzero reserved fields');
      if (mode === Mode.ABS && src !== 0) return bad('BPF_ABS has a nonzero src register');
      return ok(mode === Mode.ABS ? 'ld_abs' : 'ld_ind', 1, sizeBytes(sizeOf(code)));
    }
    case Class.LDX:
      if (imm !== 0) return bad('load immediate must be 0');
      return modeOf(code) === Mode.MEMSX ? ok('ldxsx', 1, sizeBytes(sizeOf(code)), true) : ok('ldx', 1, sizeBytes(sizeOf(code)));
    case Class.ST:
      if (src !== 0) return bad('store-immediate src register must be 0');
      return ok('st', 1, sizeBytes(sizeOf(code)));
    default:
      if (modeOf(code) === Mode.ATOMIC) {
        if (!ATOMIC_IMMS.has(imm)) return bad(`unknown atomic operation 0x${(imm >>> 0).toString(16)}`);
        return ok('atomic', 1, sizeBytes(sizeOf(code)));
      }
      if (imm !== 0) return bad('store immediate must be 0');
      return ok('stx', 1, sizeBytes(sizeOf(code)));
  }
}

function describeAlu(is64: boolean, code: number, src: number, off: number, imm: number): InsnDescription {
  const op = opOf(code);
  const isX = sourceOf(code) === Source.X;
  if (!isX && src !== 0) return bad('immediate-source ALU op has a nonzero src register');
  if (isX && imm !== 0 && op !== AluOp.END) return bad('register-source ALU op has a nonzero immediate');
  if (op === AluOp.END) {
    if (imm !== 16 && imm !== 32 && imm !== 64) return bad(`byte swap width ${imm} is not 16, 32 or 64`);
    if (off !== 0) return bad('byte swap offset must be 0');
    return is64 ? ok('bswap', 1, 0, true) : ok('end');
  }
  if (op === AluOp.NEG) {
    if (off !== 0 || imm !== 0) return bad('neg has nonzero reserved fields');
    return ok(is64 ? 'neg64' : 'neg');
  }
  if (op === AluOp.DIV || op === AluOp.MOD) {
    // RFC 9669 §4.1: offset 1 selects the signed forms (sdiv/smod, v4).
    if (off !== 0 && off !== 1) return bad(`div/mod offset ${off} is not 0 or 1`);
    return ok(is64 ? 'alu64' : 'alu', 1, 0, off === 1);
  }
  if (op === AluOp.MOV && off !== 0) {
    // MOVSX (v4): register source only; ALU allows 8/16, ALU64 8/16/32.
    if (!isX) return bad('movsx needs a register source');
    if (off !== 8 && off !== 16 && !(is64 && off === 32)) return bad(`movsx width ${off} is not valid for ${is64 ? 'ALU64' : 'ALU'}`);
    return ok(is64 ? 'movsx64' : 'movsx', 1, 0, true);
  }
  if (off !== 0) return bad('ALU offset must be 0');
  return ok(is64 ? 'alu64' : 'alu');
}

function describeJmp(is32: boolean, code: number, dst: number, src: number, off: number, imm: number): InsnDescription {
  const op = opOf(code);
  const isX = sourceOf(code) === Source.X;
  if (op === JmpOp.JA) {
    if (dst !== 0 || src !== 0) return bad('ja has nonzero registers');
    // JMP|JA takes its target in off; JMP32|JA ("gotol", v4) in imm.
    if (is32) return off !== 0 ? bad('ja32 offset must be 0') : ok('ja32', 1, 0, true);
    return imm !== 0 ? bad('ja immediate must be 0') : ok('ja');
  }
  if (op === JmpOp.EXIT) {
    if (dst !== 0 || src !== 0 || off !== 0 || imm !== 0) return bad('exit has nonzero reserved fields');
    return ok('exit');
  }
  if (op === JmpOp.CALL) {
    if (isX) {
      if (src !== 0 || off !== 0 || imm !== 0) return bad('callx has nonzero reserved fields');
      return ok('callx');
    }
    if (dst !== 0 || off !== 0) return bad('call has nonzero reserved fields');
    if (src === CallSrc.HELPER) return ok('call_helper');
    if (src === CallSrc.PSEUDO_CALL) return ok('call_local');
    if (src === CallSrc.KFUNC) return ok('call_kfunc');
    return bad(`call has unknown src ${src}`);
  }
  if (!isX && src !== 0) return bad('immediate-source jump has a nonzero src register');
  if (isX && imm !== 0) return bad('register-source jump has a nonzero immediate');
  return ok(is32 ? 'jcond32' : 'jcond');
}
