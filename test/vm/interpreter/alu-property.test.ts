/**
 * Property tests: random ALU/ALU64 sequences and conditional jumps through the interpreter against a
 * straightforward BigInt model of RFC 9669 §4 written here, independently of the interpreter's halves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Insn } from '../../../src/ebpf/insn.js';
import { InterpreterRawEngine } from '../../../src/vm/raw-entry.js';

const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const sx = (v: bigint, bits: number): bigint => BigInt.asUintN(64, BigInt.asIntN(bits, v));

/** Deterministic xorshift so a failure is reproducible from the printed seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x;
  };
}

function bswap(v: bigint, bytes: number): bigint {
  let out = 0n;
  for (let k = 0; k < bytes; k++) out = (out << 8n) | ((v >> BigInt(8 * k)) & 0xffn);
  return out;
}

/** One ALU instruction on the model; `dv` is dst's value, `sv` the operand (register or imm already widened). */
function modelAlu(insn: Insn, dv: bigint, sv: bigint): bigint {
  const is64 = (insn.code & 7) === 7;
  const op = insn.code & 0xf0;
  const a = is64 ? dv : dv & M32;
  const b = is64 ? sv : sv & M32;
  const signed = (x: bigint): bigint => (is64 ? s64(x) : s32(x));
  const width = is64 ? 64n : 32n;
  let r: bigint;
  switch (op) {
    case 0x00: r = a + b; break;
    case 0x10: r = a - b; break;
    case 0x20: r = a * b; break;
    case 0x30:
      if (b === 0n) r = 0n;
      else if (insn.off === 1) r = signed(a) / signed(b);
      else r = a / b;
      break;
    case 0x90:
      if (b === 0n) r = a;
      else if (insn.off === 1) r = signed(a) % signed(b);
      else r = a % b;
      break;
    case 0x40: r = a | b; break;
    case 0x50: r = a & b; break;
    case 0xa0: r = a ^ b; break;
    case 0x60: r = a << (b & (width - 1n)); break;
    case 0x70: r = a >> (b & (width - 1n)); break;
    case 0xc0: r = signed(a) >> (b & (width - 1n)); break;
    case 0x80: r = -a; break;
    case 0xb0:
      r = insn.off === 0 ? b : BigInt.asIntN(insn.off, sv);
      if (!is64 && insn.off !== 0) r &= M32;
      break;
    case 0xd0: {
      const bits = BigInt(insn.imm);
      const low = dv & ((1n << bits) - 1n);
      if (is64 || (insn.code & 0x08) !== 0) return bswap(low, insn.imm / 8);
      return low;
    }
    default: throw new Error(`model: op ${op}`);
  }
  return is64 ? u64(r) : u64(r) & M32;
}

const REGS = [0, 2, 3, 4, 5, 6, 7, 8, 9];
const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });

function lddw(dst: number, v: bigint): Insn[] {
  return [I(0x18, dst, 0, 0, Number(BigInt.asIntN(32, v))), I(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n)))];
}

/** Random operand values biased towards the edges (0, ±1, INT_MIN, all ones, small shifts). */
function randValue(next: () => number): bigint {
  const edges = [0n, 1n, M64, 1n << 63n, (1n << 63n) - 1n, 0x80000000n, M32, 0xffffffff80000000n, 31n, 32n, 63n, 64n];
  const k = next() % 4;
  if (k === 0) return edges[next() % edges.length]!;
  if (k === 1) return BigInt(next() % 70);
  return (BigInt(next()) << 32n) | BigInt(next());
}

function randAlu(next: () => number): Insn {
  const is64 = next() % 2 === 0;
  const cls = is64 ? 0x07 : 0x04;
  const dst = REGS[next() % REGS.length]!;
  const src = REGS[next() % REGS.length]!;
  const kind = next() % 16;
  const imm = Number(BigInt.asIntN(32, randValue(next)));
  if (kind === 13) return I(cls | 0x80, dst);
  if (kind === 14) {
    const widths = is64 ? [8, 16, 32] : [8, 16];
    return I(cls | 0xb8, dst, src, widths[next() % widths.length]!);
  }
  if (kind === 15) {
    const code = is64 ? 0xd7 : next() % 2 === 0 ? 0xd4 : 0xdc;
    return I(code, dst, 0, 0, [16, 32, 64][next() % 3]!);
  }
  const ops = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0, 0x30];
  const op = ops[kind]!;
  const off = (op === 0x30 || op === 0x90) && next() % 2 === 0 ? 1 : 0;
  return next() % 2 === 0 ? I(cls | op | 0x08, dst, src, off) : I(cls | op, dst, 0, off, imm);
}

test('random ALU sequences match the BigInt model', () => {
  const engine = new InterpreterRawEngine();
  for (let seed = 1; seed <= 300; seed++) {
    const next = rng(seed * 2654435761);
    const regs = new Map<number, bigint>();
    const prog: Insn[] = [];
    for (const reg of REGS) {
      const v = randValue(next);
      regs.set(reg, v);
      prog.push(...lddw(reg, v));
    }
    const body: Insn[] = [];
    for (let k = 0; k < 24; k++) {
      const insn = randAlu(next);
      body.push(insn);
      const sv = (insn.code & 0x08) !== 0 && (insn.code & 0xf0) !== 0xd0 ? regs.get(insn.src)! : u64(BigInt(insn.imm));
      regs.set(insn.dst, modelAlu(insn, regs.get(insn.dst)!, sv));
    }
    prog.push(...body);
    REGS.forEach((reg, k) => prog.push(I(0x7b, 1, reg, 8 * k)));
    prog.push(I(0xb7, 0), I(0x95));
    const mem = new Uint8Array(8 * REGS.length);
    engine.runRaw(prog, mem);
    const dv = new DataView(mem.buffer);
    REGS.forEach((reg, k) => {
      assert.equal(dv.getBigUint64(8 * k, true), regs.get(reg), `seed ${seed}: r${reg} after\n${body.map((b) => JSON.stringify(b)).join('\n')}`);
    });
  }
});

const JOPS: ReadonlyArray<readonly [number, (a: bigint, b: bigint, w: number) => boolean]> = [
  [0x10, (a, b) => a === b], [0x50, (a, b) => a !== b], [0x40, (a, b) => (a & b) !== 0n],
  [0x20, (a, b) => a > b], [0x30, (a, b) => a >= b], [0xa0, (a, b) => a < b], [0xb0, (a, b) => a <= b],
  [0x60, (a, b, w) => BigInt.asIntN(w, a) > BigInt.asIntN(w, b)], [0x70, (a, b, w) => BigInt.asIntN(w, a) >= BigInt.asIntN(w, b)],
  [0xc0, (a, b, w) => BigInt.asIntN(w, a) < BigInt.asIntN(w, b)], [0xd0, (a, b, w) => BigInt.asIntN(w, a) <= BigInt.asIntN(w, b)],
];

test('random conditional jumps (JMP and JMP32, reg and imm) match the model', () => {
  const engine = new InterpreterRawEngine();
  const next = rng(12345);
  for (let k = 0; k < 2000; k++) {
    const [op, pred] = JOPS[next() % JOPS.length]!;
    const is32 = next() % 2 === 0;
    const useImm = next() % 2 === 0;
    const a = randValue(next);
    const rawB = randValue(next);
    const imm = Number(BigInt.asIntN(32, rawB));
    const b = useImm ? sx(BigInt(imm), 32) : rawB;
    const w = is32 ? 32 : 64;
    const mask = is32 ? M32 : M64;
    const taken = pred(a & mask, b & mask, w);
    const prog = [
      ...lddw(2, a), ...lddw(3, rawB),
      I((is32 ? 0x06 : 0x05) | op | (useImm ? 0 : 0x08), 2, useImm ? 0 : 3, 2, useImm ? imm : 0),
      I(0xb7, 0, 0, 0, 0), I(0x95),
      I(0xb7, 0, 0, 0, 1), I(0x95),
    ];
    const got = engine.runRaw(prog, new Uint8Array(0));
    assert.equal(got, taken ? 1n : 0n, `k=${k} op=0x${op.toString(16)} ${is32 ? 'jmp32' : 'jmp'} a=0x${a.toString(16)} b=0x${b.toString(16)}`);
  }
});
