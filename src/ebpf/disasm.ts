/**
 * Disassembler in llvm-objdump's BPF syntax. Everything llvm-objdump-16 can print is printed exactly as it
 * prints it (immediates and offsets in signed hex: `r1 = *(u32 *)(r1 + 0x4)`, `if r2 > r3 goto +0x5`,
 * `call 0x1`, `r0 = 0x1122334455667788 ll`), minus the `<symbol>` annotations it appends to jumps.
 * Forms llvm-16 does not know use the syntax later LLVM releases adopted: v4 (`r1 s/= r2`, `r1 = (s8)r2`,
 * `r0 = *(s16 *)(r1 + 0x2)`, `r1 = bswap16 r1`, `gotol +0x5`), `if r1 & r2 goto`, `*(u32 *)(r1 + 0x0) = 0x7`,
 * 32-bit atomics with `w` registers, `callx r2` (register in dst, as bpf_conformance encodes it).
 * Where LLVM has no readable form we follow the kernel's verifier log (kernel/bpf/disasm.c):
 * LD_IMM64 pseudo sources print as `r1 = map[3] ll`, `r1 = map[3]+0x4 ll` (map value),
 * `r1 = btf_id[0x3] ll`, `r1 = func[+0x3] ll`, `r1 = map_idx[3] ll`, `r1 = map_idx[3]+0x4 ll`;
 * bpf-to-bpf calls as `call pc+0x3` and kfunc calls as `call kfunc 0x3`.
 */
import { OP_LD_IMM64, type Insn } from './insn.js';
import {
  AluOp, AtomicOp, CallSrc, Class, JmpOp, Mode, PseudoSrc, Size, Source,
  classOf, modeOf, opOf, sizeOf, sourceOf,
} from './opcodes.js';
import { describeInsn } from './insn-validity.js';

/** Signed hex as llvm-objdump prints it: `0x5`, `-0x5`. */
export function hex(v: number | bigint): string {
  if (typeof v === 'bigint') return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
  return v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

const ALU_SYMBOL: Readonly<Record<number, string>> = {
  [AluOp.ADD]: '+=', [AluOp.SUB]: '-=', [AluOp.MUL]: '*=', [AluOp.DIV]: '/=', [AluOp.OR]: '|=',
  [AluOp.AND]: '&=', [AluOp.LSH]: '<<=', [AluOp.RSH]: '>>=', [AluOp.MOD]: '%=', [AluOp.XOR]: '^=',
  [AluOp.MOV]: '=', [AluOp.ARSH]: 's>>=',
};

const JMP_SYMBOL: Readonly<Record<number, string>> = {
  [JmpOp.JEQ]: '==', [JmpOp.JGT]: '>', [JmpOp.JGE]: '>=', [JmpOp.JSET]: '&', [JmpOp.JNE]: '!=',
  [JmpOp.JSGT]: 's>', [JmpOp.JSGE]: 's>=', [JmpOp.JLT]: '<', [JmpOp.JLE]: '<=', [JmpOp.JSLT]: 's<',
  [JmpOp.JSLE]: 's<=',
};

const SIZE_NAME: Readonly<Record<number, string>> = { [Size.B]: '8', [Size.H]: '16', [Size.W]: '32', [Size.DW]: '64' };

const UNKNOWN = '<unknown>';

function memInner(reg: number, off: number): string {
  return off < 0 ? `r${reg} - ${hex(-off)}` : `r${reg} + ${hex(off)}`;
}

function memRef(reg: number, off: number): string {
  return `(${memInner(reg, off)})`;
}

function jumpOff(off: number): string {
  return off < 0 ? `-${hex(-off)}` : `+${hex(off)}`;
}

/**
 * `llvm`: llvm-objdump-16's hex immediates and offsets (the default). `decimal`: the same syntax with
 * decimal numbers, as llvm-objdump printed before LLVM 16 (`r1 = *(u32 *)(r1 + 4)`, `call 1`).
 */
export type DisasmStyle = 'llvm' | 'decimal';

/** Every number is printed by hex(), so the decimal style is an exact rewrite of the hex literals. */
const toDecimal = (text: string): string => text.replace(/0x[0-9a-f]+/g, (h) => BigInt(h).toString());

/** One instruction's text; the second slot of an LD_IMM64 (and anything invalid) prints `<unknown>`. */
export function disassemble(insns: readonly Insn[], index: number, style: DisasmStyle = 'llvm'): string {
  const text = disassembleLlvm(insns, index);
  return style === 'decimal' ? toDecimal(text) : text;
}

function disassembleLlvm(insns: readonly Insn[], index: number): string {
  const insn = insns[index];
  if (insn === undefined) return UNKNOWN;
  const d = describeInsn(insns, index);
  if (!d.valid || d.kind === 'ld_imm64_hi') return UNKNOWN;
  const { code, dst, src, off, imm } = insn;
  const cls = classOf(code);
  switch (cls) {
    case Class.ALU:
    case Class.ALU64:
      return aluText(cls === Class.ALU64, code, dst, src, off, imm);
    case Class.JMP:
    case Class.JMP32:
      return jmpText(cls === Class.JMP32, code, dst, src, off, imm);
    case Class.LD:
      return ldText(insns, index);
    case Class.LDX:
      return `r${dst} = *(${modeOf(code) === Mode.MEMSX ? 's' : 'u'}${SIZE_NAME[sizeOf(code)]} *)${memRef(src, off)}`;
    case Class.ST:
      return `*(u${SIZE_NAME[sizeOf(code)]} *)${memRef(dst, off)} = ${hex(imm)}`;
    default:
      if (modeOf(code) === Mode.ATOMIC) return atomicText(sizeOf(code) === Size.DW, dst, src, off, imm);
      return `*(u${SIZE_NAME[sizeOf(code)]} *)${memRef(dst, off)} = r${src}`;
  }
}

function aluText(is64: boolean, code: number, dst: number, src: number, off: number, imm: number): string {
  const r = is64 ? 'r' : 'w';
  const op = opOf(code);
  if (op === AluOp.NEG) return `${r}${dst} = -${r}${dst}`;
  if (op === AluOp.END) {
    if (is64) return `r${dst} = bswap${imm} r${dst}`;
    return `r${dst} = ${sourceOf(code) === Source.X ? 'be' : 'le'}${imm} r${dst}`;
  }
  const operand = sourceOf(code) === Source.X ? `${r}${src}` : hex(imm);
  if (op === AluOp.MOV && off !== 0) return `${r}${dst} = (s${off})${r}${src}`;
  const signed = off === 1 && (op === AluOp.DIV || op === AluOp.MOD) ? 's' : '';
  return `${r}${dst} ${signed}${ALU_SYMBOL[op]} ${operand}`;
}

function jmpText(is32: boolean, code: number, dst: number, src: number, off: number, imm: number): string {
  const op = opOf(code);
  if (op === JmpOp.JA) return is32 ? `gotol ${jumpOff(imm)}` : `goto ${jumpOff(off)}`;
  if (op === JmpOp.EXIT) return 'exit';
  if (op === JmpOp.CALL) {
    if (sourceOf(code) === Source.X) return `callx r${dst}`;
    if (src === CallSrc.PSEUDO_CALL) return `call pc${jumpOff(imm)}`;
    if (src === CallSrc.KFUNC) return `call kfunc ${hex(imm)}`;
    return `call ${hex(imm)}`;
  }
  const r = is32 ? 'w' : 'r';
  const rhs = sourceOf(code) === Source.X ? `${r}${src}` : hex(imm);
  return `if ${r}${dst} ${JMP_SYMBOL[op]} ${rhs} goto ${jumpOff(off)}`;
}

function ldText(insns: readonly Insn[], index: number): string {
  const { code, dst, src, imm } = insns[index]!;
  const mode = modeOf(code);
  const width = SIZE_NAME[sizeOf(code)];
  if (mode === Mode.ABS) return `r0 = *(u${width} *)skb[${hex(imm)}]`;
  if (mode === Mode.IND) return `r0 = *(u${width} *)skb[r${src}${imm === 0 ? '' : imm < 0 ? ` - ${hex(-imm)}` : ` + ${hex(imm)}`}]`;
  const hiImm = insns[index + 1]!.imm;
  switch (src) {
    case PseudoSrc.IMM: {
      const v = (BigInt(hiImm >>> 0) << 32n) | BigInt(imm >>> 0);
      return `r${dst} = ${hex(v)} ll`;
    }
    case PseudoSrc.MAP_FD: return `r${dst} = map[${imm}] ll`;
    case PseudoSrc.MAP_VALUE: return `r${dst} = map[${imm}]+${hex(hiImm >>> 0)} ll`;
    case PseudoSrc.BTF_ID: return `r${dst} = btf_id[${hex(imm >>> 0)}] ll`;
    case PseudoSrc.FUNC: return `r${dst} = func[${jumpOff(imm)}] ll`;
    case PseudoSrc.MAP_IDX: return `r${dst} = map_idx[${imm}] ll`;
    default: return `r${dst} = map_idx[${imm}]+${hex(hiImm >>> 0)} ll`;
  }
}

const ATOMIC_NAME: Readonly<Record<number, string>> = {
  [AtomicOp.ADD]: 'add', [AtomicOp.OR]: 'or', [AtomicOp.AND]: 'and', [AtomicOp.XOR]: 'xor',
};
const ATOMIC_SYMBOL: Readonly<Record<number, string>> = {
  [AtomicOp.ADD]: '+=', [AtomicOp.OR]: '|=', [AtomicOp.AND]: '&=', [AtomicOp.XOR]: '^=',
};

function atomicText(is64: boolean, dst: number, src: number, off: number, imm: number): string {
  const width = is64 ? 'u64' : 'u32';
  const r = is64 ? 'r' : 'w';
  const addr = memRef(dst, off);
  const inner = memInner(dst, off);
  if (imm === AtomicOp.XCHG) return is64 ? `r${src} = xchg_64(${inner}, r${src})` : `w${src} = xchg32_32(${inner}, w${src})`;
  if (imm === AtomicOp.CMPXCHG) {
    return is64 ? `r0 = cmpxchg_64(${inner}, r0, r${src})` : `w0 = cmpxchg32_32(${inner}, w0, w${src})`;
  }
  const base = imm & ~AtomicOp.FETCH;
  if (imm & AtomicOp.FETCH) return `${r}${src} = atomic_fetch_${ATOMIC_NAME[base]}((${width} *)${addr}, ${r}${src})`;
  // llvm-objdump-16 prints the 32-bit lock add with an r register; the other 32-bit ops with w (LLVM 17+).
  const reg = is64 || base === AtomicOp.ADD ? `r${src}` : `w${src}`;
  return `lock *(${width} *)${addr} ${ATOMIC_SYMBOL[base]} ${reg}`;
}

/**
 * A listing: one line per instruction, `index: text`, LD_IMM64 second slots omitted (as llvm-objdump does),
 * with jump targets resolved to absolute indices as a trailing comment.
 */
export function listing(insns: readonly Insn[], style: DisasmStyle = 'llvm'): string {
  const lines: string[] = [];
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    const text = disassemble(insns, i, style);
    const target = jumpTarget(insns, i);
    lines.push(`${String(i).padStart(5)}: ${text}${target === undefined ? '' : ` <${target}>`}`);
    if (insn.code === OP_LD_IMM64) i++;
  }
  return lines.join('\n');
}

/** Absolute slot index a jump or local call at `index` transfers to, if it is one. */
export function jumpTarget(insns: readonly Insn[], index: number): number | undefined {
  const insn = insns[index];
  if (insn === undefined) return undefined;
  const cls = classOf(insn.code);
  if (cls !== Class.JMP && cls !== Class.JMP32) return undefined;
  const op = opOf(insn.code);
  if (op === JmpOp.EXIT) return undefined;
  if (op === JmpOp.CALL) return insn.src === CallSrc.PSEUDO_CALL && sourceOf(insn.code) === Source.K ? index + 1 + insn.imm : undefined;
  if (op === JmpOp.JA && cls === Class.JMP32) return index + 1 + insn.imm;
  return index + 1 + insn.off;
}
