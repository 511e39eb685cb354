/**
 * Assembler for the bpf_conformance / uBPF text syntax (the `-- asm` section of the conformance vectors):
 *
 * ```
 *   mov %r0, 0x11            ALU64 (`mov32` / `add32`... for ALU), `neg %r1`, `sdiv`/`smod` (off = 1)
 *   movsx1632 %r2, %r1       MOVSX: source width 8/16/32 then destination width 32/64 (off = 8/16/32)
 *   be16 %r0  le64 %r0       ALU|END (be = X, le = K);  bswap16 / swap16 %r0: ALU64|END (v4)
 *   ldxdw %r0, [%r1+8]       LDX MEM;  ldxsb / ldxsh / ldxsw: LDX MEMSX (v4)
 *   stxw [%r10-4], %r1       STX MEM;  stw [%r1+2], 0x11: ST MEM
 *   lddw %r0, 0x1122334455667788
 *   jgt %r1, 0x2, L3         JMP (`jgt32`: JMP32); targets are labels or +N / -N slot offsets
 *   ja L1   ja32 L1          JMP|JA (off), JMP32|JA (imm, v4)
 *   call 5  call local f  call %r2  call runtime 7     helper, bpf-to-bpf (src 1), callx (dst), kfunc (src 2)
 *   lock add [%r10-8], %r1   lock fetch xor32 [...], %r1   lock xchg / cmpxchg[32] [...], %r1
 *   exit
 * ```
 * `#` starts a comment; `NAME:` defines a label; as in bpf_conformance, the label `exit` refers to the
 * first `exit` instruction unless defined explicitly. Immediates are decimal or 0x-hex, optionally
 * negative, and are truncated to the field width as bpf_conformance's assembler does.
 */
import { OP_LD_IMM64, type Insn } from './insn.js';
import { AluOp, AtomicOp, CallSrc, Class, JmpOp, Mode, Size, Source } from './opcodes.js';

export class AsmError extends Error {
  constructor(message: string, readonly line: number, readonly text: string) {
    super(`line ${line}: ${message}: ${text.trim()}`);
    this.name = 'AsmError';
  }
}

interface MutableInsn { code: number; dst: number; src: number; off: number; imm: number }

const ALU_OPS: Readonly<Record<string, number>> = {
  add: AluOp.ADD, sub: AluOp.SUB, mul: AluOp.MUL, div: AluOp.DIV, sdiv: AluOp.DIV, or: AluOp.OR,
  and: AluOp.AND, lsh: AluOp.LSH, rsh: AluOp.RSH, neg: AluOp.NEG, mod: AluOp.MOD, smod: AluOp.MOD,
  xor: AluOp.XOR, mov: AluOp.MOV, arsh: AluOp.ARSH,
};

const JMP_OPS: Readonly<Record<string, number>> = {
  jeq: JmpOp.JEQ, jgt: JmpOp.JGT, jge: JmpOp.JGE, jset: JmpOp.JSET, jne: JmpOp.JNE, jsgt: JmpOp.JSGT,
  jsge: JmpOp.JSGE, jlt: JmpOp.JLT, jle: JmpOp.JLE, jslt: JmpOp.JSLT, jsle: JmpOp.JSLE,
};

const SIZES: Readonly<Record<string, number>> = { b: Size.B, h: Size.H, w: Size.W, dw: Size.DW };

const ATOMIC_OPS: Readonly<Record<string, number>> = {
  add: AtomicOp.ADD, or: AtomicOp.OR, and: AtomicOp.AND, xor: AtomicOp.XOR, xchg: AtomicOp.XCHG, cmpxchg: AtomicOp.CMPXCHG,
};

/** A jump or call whose offset waits for its label. */
interface Fixup { readonly slot: number; readonly label: string; readonly field: 'off' | 'imm'; readonly line: number; readonly text: string }

class LineContext {
  constructor(readonly line: number, readonly text: string) {}
  fail(message: string): never {
    throw new AsmError(message, this.line, this.text);
  }

  reg(tok: string | undefined): number {
    const m = /^%r(\d+)$/.exec(tok ?? '');
    // r11..r15 are accepted so that negative tests can encode them; the validity decoder rejects them.
    if (!m || Number(m[1]) > 15) this.fail(`expected a register %r0..%r10, got '${tok ?? ''}'`);
    return Number(m[1]);
  }

  bigint(tok: string | undefined): bigint {
    const m = /^([+-]?)(0x[0-9a-f]+|\d+)$/i.exec(tok ?? '');
    if (!m) this.fail(`expected a number, got '${tok ?? ''}'`);
    const v = BigInt(m[2]!);
    if (v >= 1n << 64n) this.fail(`number ${tok} does not fit in 64 bits`);
    return m[1] === '-' ? -v : v;
  }

  imm32(tok: string | undefined): number {
    return Number(BigInt.asIntN(32, this.bigint(tok)));
  }

  /** `[%r1+8]`, `[%r10-4]`, `[%r1]` → register and signed 16-bit offset. */
  mem(tok: string | undefined): { reg: number; off: number } {
    const m = /^\[(%r\d+)\s*(?:([+-])\s*(0x[0-9a-f]+|\d+))?\]$/i.exec(tok ?? '');
    if (!m) this.fail(`expected a memory operand [%rN+off], got '${tok ?? ''}'`);
    const off = m[3] === undefined ? 0n : BigInt(m[3]) * (m[2] === '-' ? -1n : 1n);
    return { reg: this.reg(m[1]), off: Number(BigInt.asIntN(16, off)) };
  }

  count(ops: readonly string[], n: number, mnemonic: string): void {
    if (ops.length !== n) this.fail(`${mnemonic} takes ${n} operand${n === 1 ? '' : 's'}, got ${ops.length}`);
  }
}

const isOffsetLiteral = (tok: string): boolean => /^[+-](0x[0-9a-f]+|\d+)$/i.test(tok);

/** Operands: split on commas and blanks, keeping `[...]` together. */
function splitOperands(rest: string): string[] {
  const out: string[] = [];
  const re = /\[[^\]]*\]|[^\s,]+/g;
  for (let m = re.exec(rest); m !== null; m = re.exec(rest)) out.push(m[0].replace(/\s+/g, ''));
  return out;
}

export function assemble(text: string): Insn[] {
  const out: MutableInsn[] = [];
  const labels = new Map<string, number>();
  const fixups: Fixup[] = [];
  let firstExit: number | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const cx: LineContext = new LineContext(i + 1, raw);
    let body = raw.replace(/#.*$/, '').trim();
    const label = /^([A-Za-z_.$][\w.$]*):\s*/.exec(body);
    if (label) {
      if (labels.has(label[1]!)) cx.fail(`duplicate label '${label[1]}'`);
      labels.set(label[1]!, out.length);
      body = body.slice(label[0].length);
    }
    if (body === '') return;
    const sp = body.search(/\s/);
    const mnemonic = (sp < 0 ? body : body.slice(0, sp)).toLowerCase();
    const ops = splitOperands(sp < 0 ? '' : body.slice(sp));
    const target = (tok: string | undefined, field: 'off' | 'imm'): number => {
      if (tok === undefined) cx.fail('missing jump target');
      if (isOffsetLiteral(tok)) return field === 'off' ? Number(BigInt.asIntN(16, cx.bigint(tok))) : cx.imm32(tok);
      fixups.push({ slot: out.length, label: tok, field, line: cx.line, text: raw });
      return 0;
    };
    if (mnemonic === 'exit') {
      cx.count(ops, 0, mnemonic);
      firstExit ??= out.length;
      out.push({ code: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, off: 0, imm: 0 });
      return;
    }
    for (const insn of encodeLine(cx, mnemonic, ops, target)) out.push(insn);
  });
  if (firstExit !== undefined && !labels.has('exit')) labels.set('exit', firstExit);
  for (const f of fixups) {
    const at = labels.get(f.label);
    if (at === undefined) throw new AsmError(`unknown label '${f.label}'`, f.line, f.text);
    const rel = at - f.slot - 1;
    if (f.field === 'off') {
      if (rel < -0x8000 || rel > 0x7fff) throw new AsmError(`jump to '${f.label}' is out of 16-bit range`, f.line, f.text);
      out[f.slot]!.off = rel;
    } else {
      out[f.slot]!.imm = rel;
    }
  }
  return out.map((i) => Object.freeze({ ...i }));
}

function encodeLine(
  cx: LineContext,
  mnemonic: string,
  ops: readonly string[],
  target: (tok: string | undefined, field: 'off' | 'imm') => number,
): MutableInsn[] {
  const insn = (code: number, dst = 0, src = 0, off = 0, imm = 0): MutableInsn => ({ code, dst, src, off, imm });

  if (mnemonic === 'lddw') {
    cx.count(ops, 2, mnemonic);
    const v = BigInt.asUintN(64, cx.bigint(ops[1]));
    return [
      insn(OP_LD_IMM64, cx.reg(ops[0]), 0, 0, Number(BigInt.asIntN(32, v))),
      insn(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n))),
    ];
  }
  if (mnemonic === 'ja' || mnemonic === 'ja32') {
    cx.count(ops, 1, mnemonic);
    return mnemonic === 'ja'
      ? [insn(Class.JMP | JmpOp.JA, 0, 0, target(ops[0], 'off'))]
      : [insn(Class.JMP32 | JmpOp.JA, 0, 0, 0, target(ops[0], 'imm'))];
  }
  if (mnemonic === 'call') return [encodeCall(cx, ops, target)];
  if (mnemonic === 'lock') return [encodeAtomic(cx, ops)];

  let m = /^(be|le|bswap|swap)(16|32|64)$/.exec(mnemonic);
  if (m) {
    cx.count(ops, 1, mnemonic);
    const code = m[1] === 'be' ? Class.ALU | AluOp.END | Source.X
      : m[1] === 'le' ? Class.ALU | AluOp.END | Source.K
      : Class.ALU64 | AluOp.END | Source.K;
    return [insn(code, cx.reg(ops[0]), 0, 0, Number(m[2]))];
  }
  m = /^movsx(8|16|32)(32|64)$/.exec(mnemonic);
  if (m) {
    cx.count(ops, 2, mnemonic);
    const cls = m[2] === '64' ? Class.ALU64 : Class.ALU;
    return [insn(cls | AluOp.MOV | Source.X, cx.reg(ops[0]), cx.reg(ops[1]), Number(m[1]))];
  }
  m = /^ldx(s?)(b|h|w|dw)$/.exec(mnemonic);
  if (m) {
    cx.count(ops, 2, mnemonic);
    const { reg, off } = cx.mem(ops[1]);
    return [insn(Class.LDX | (m[1] ? Mode.MEMSX : Mode.MEM) | SIZES[m[2]!]!, cx.reg(ops[0]), reg, off)];
  }
  m = /^st(x?)(b|h|w|dw)$/.exec(mnemonic);
  if (m) {
    cx.count(ops, 2, mnemonic);
    const { reg, off } = cx.mem(ops[0]);
    return m[1]
      ? [insn(Class.STX | Mode.MEM | SIZES[m[2]!]!, reg, cx.reg(ops[1]), off)]
      : [insn(Class.ST | Mode.MEM | SIZES[m[2]!]!, reg, 0, off, cx.imm32(ops[1]))];
  }
  m = /^([a-z]+?)(32|64)?$/.exec(mnemonic);
  const base = m?.[1] ?? '';
  const jop = JMP_OPS[base];
  if (jop !== undefined && m?.[2] !== '64') {
    cx.count(ops, 3, mnemonic);
    const cls = m?.[2] === '32' ? Class.JMP32 : Class.JMP;
    const dst = cx.reg(ops[0]);
    const isReg = ops[1]!.startsWith('%');
    const src = isReg ? cx.reg(ops[1]) : 0;
    const imm = isReg ? 0 : cx.imm32(ops[1]);
    return [insn(cls | jop | (isReg ? Source.X : Source.K), dst, src, target(ops[2], 'off'), imm)];
  }
  const aop = ALU_OPS[base];
  if (aop !== undefined) {
    const cls = m?.[2] === '32' ? Class.ALU : Class.ALU64;
    const off = base === 'sdiv' || base === 'smod' ? 1 : 0;
    if (aop === AluOp.NEG) {
      cx.count(ops, 1, mnemonic);
      return [insn(cls | AluOp.NEG, cx.reg(ops[0]))];
    }
    cx.count(ops, 2, mnemonic);
    const dst = cx.reg(ops[0]);
    if (ops[1]!.startsWith('%')) return [insn(cls | aop | Source.X, dst, cx.reg(ops[1]), off)];
    return [insn(cls | aop | Source.K, dst, 0, off, cx.imm32(ops[1]))];
  }
  return cx.fail(`unknown mnemonic '${mnemonic}'`);
}

function encodeCall(
  cx: LineContext,
  ops: readonly string[],
  target: (tok: string | undefined, field: 'off' | 'imm') => number,
): MutableInsn {
  const call = Class.JMP | JmpOp.CALL;
  if (ops.length === 1) {
    // `call %r2` is callx: the register travels in dst, as bpf_conformance encodes it.
    if (ops[0]!.startsWith('%')) return { code: call | Source.X, dst: cx.reg(ops[0]), src: 0, off: 0, imm: 0 };
    return { code: call, dst: 0, src: CallSrc.HELPER, off: 0, imm: cx.imm32(ops[0]) };
  }
  cx.count(ops, 2, 'call');
  switch (ops[0]) {
    case 'helper': return { code: call, dst: 0, src: CallSrc.HELPER, off: 0, imm: cx.imm32(ops[1]) };
    case 'local': return { code: call, dst: 0, src: CallSrc.PSEUDO_CALL, off: 0, imm: target(ops[1], 'imm') };
    case 'runtime': return { code: call, dst: 0, src: CallSrc.KFUNC, off: 0, imm: cx.imm32(ops[1]) };
    default: return cx.fail(`unknown call mode '${ops[0]}' (helper, local, runtime)`);
  }
}

/** `lock [fetch] OP[32] [%rD+off], %rS` (bpf_conformance's atomic syntax). */
function encodeAtomic(cx: LineContext, ops: readonly string[]): MutableInsn {
  const fetch = ops[0] === 'fetch';
  const rest = fetch ? ops.slice(1) : ops;
  cx.count(rest, 3, 'lock');
  const m = /^([a-z]+?)(32)?$/.exec(rest[0]!);
  const op = m ? ATOMIC_OPS[m[1]!] : undefined;
  if (op === undefined) return cx.fail(`unknown atomic operation '${rest[0]}'`);
  const { reg, off } = cx.mem(rest[1]);
  // XCHG and CMPXCHG always fetch; `fetch` is what selects it for the arithmetic ops.
  const imm = fetch && op !== AtomicOp.XCHG && op !== AtomicOp.CMPXCHG ? op | AtomicOp.FETCH : op;
  const size = m?.[2] === '32' ? Size.W : Size.DW;
  return { code: Class.STX | Mode.ATOMIC | size, dst: reg, src: cx.reg(rest[2]), off, imm };
}
