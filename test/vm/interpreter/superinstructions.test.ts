import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../../src/ebpf/asm.js';
import { RuntimeFault, type ExecProgram } from '../../../src/vm/exec-types.js';
import { Interpreter } from '../../../src/vm/interpreter/interpreter.js';
import { prepareProgram } from '../../../src/vm/interpreter/prepared.js';
import { Fused, fuseSuperinstructions } from '../../../src/vm/interpreter/superinstructions.js';
import { RAW_MEM_BASE, RAW_STACK_TOP, rawArena } from '../../../src/vm/raw-entry.js';

const prog = (text: string, name = 'p'): ExecProgram => ({ name, insns: assemble(text), funcs: [], lines: [] });
const ARGS = { r1: RAW_MEM_BASE, r2: 0, ctx: 0, cpu: 0, stackTop: RAW_STACK_TOP };

/**
 * Each idiom with `|` where a no-op (`mov %r9, %r9`, itself part of no idiom here) can split it: the split
 * program runs the same instructions one dispatch each, so it is the oracle for the fused one.
 */
const IDIOMS: Readonly<Record<keyof typeof Fused, string>> = {
  MOV_ADD64_K: 'mov %r4, %r1|add %r4, K',
  MOV_ADD64_K_JGT_X: 'mov %r4, %r1|add %r4, K|jgt %r4, %r3, t',
  ADD64_K_JGT_X: 'add %r4, K|jgt %r4, %r3, t',
  MOV_ADD64_X: 'mov %r4, %r1|add %r4, %r3',
  MOV_RSH64_K: 'mov %r4, %r1|rsh %r4, N',
  MOV_LSH64_K: 'mov %r4, %r1|lsh %r4, N',
  ADD64_K_JA: 'add %r4, K|ja t',
  AND64_K_JEQ_K: 'and %r4, M|jeq %r4, E, t',
  AND64_K_JNE_K: 'and %r4, M|jne %r4, E, t',
  LDXH_BE16: 'ldxh %r4, [%r6+O]|be16 %r4',
  LDXW_BE32: 'ldxw %r4, [%r6+O]|be32 %r4',
};

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

const hex64 = (hi: number, lo: number): string => `0x${hi.toString(16).padStart(8, '0')}${lo.toString(16).padStart(8, '0')}`;

function program(idiom: string, split: boolean, next: () => number): string {
  const words = [next(), next(), next(), next(), next(), next()];
  const b = BigInt(hex64(words[2]!, words[3]!));
  const mask = [0xff, 0xffff, 1, 0x7fffffff, next() | 0][next() % 5]!;
  // Half the time an E the masked value equals (as JEQ compares against the sign-extended immediate).
  const masked = BigInt.asUintN(64, b & BigInt.asUintN(64, BigInt(mask)));
  const equal = masked <= 0x7fffffffn ? Number(masked) : undefined;
  const e = next() % 2 === 0 && equal !== undefined ? equal : next() | 0;
  const body = idiom
    .replace('K', String(next() | 0)).replace('N', String(next() % 64)).replace('M', String(mask))
    .replace('E', String(e)).replace('O', String(next() % 28))
    .split('|').join(split ? '\nmov %r9, %r9\n' : '\n');
  return `
    mov %r6, %r1
    lddw %r1, ${hex64(words[0]!, words[1]!)}
    lddw %r2, ${hex64(words[2]!, words[3]!)}
    lddw %r3, ${hex64(words[4]!, words[5]!)}
    stxdw [%r6+0], %r1
    stxdw [%r6+8], %r2
    stxdw [%r6+16], %r3
    stxdw [%r6+24], %r1
    mov %r4, %r2
    mov %r0, 0
    ${body}
    mov %r0, 0x100
    t:
    xor %r0, %r4
    exit`;
}

test('every superinstruction is fused where its idiom appears, and only there', () => {
  for (const [name, idiom] of Object.entries(IDIOMS)) {
    const code = Fused[name as keyof typeof Fused];
    const fused = fuseSuperinstructions(prepareProgram(prog(program(idiom, false, rng(1)))));
    const split = fuseSuperinstructions(prepareProgram(prog(program(idiom, true, rng(1)))));
    const ops = (c: Int32Array): number[] => [...c].filter((_, i) => i % 4 === 0).map((w) => w & 0xff);
    assert.ok(ops(fused.code).includes(code), `${name} fused`);
    assert.ok(!ops(split.code).includes(code), `${name} not fused when split`);
  }
});

test('fused and split runs agree on r0 and on the instruction count, for random operands', () => {
  for (const [name, idiom] of Object.entries(IDIOMS)) {
    for (let seed = 1; seed <= 60; seed++) {
      const fused = new Interpreter(rawArena(64), () => undefined);
      const split = new Interpreter(rawArena(64), () => undefined);
      const a = fused.run(prog(program(idiom, false, rng(seed))), ARGS);
      const b = split.run(prog(program(idiom, true, rng(seed))), ARGS);
      assert.equal(a, b, `${name} seed ${seed}`);
      const noops = idiom.split('|').length - 1;
      assert.equal(fused.executedInsns, split.executedInsns - noops, `${name} seed ${seed}: instruction count`);
    }
  }
});

test('a jump onto the second slot of an idiom runs that instruction alone', () => {
  const r = new Interpreter(rawArena(64), () => undefined).run(prog(`
    mov %r4, 5
    mov %r1, 100
    ja second
    mov %r4, %r1
    second:
    add %r4, 7
    mov %r0, %r4
    exit`), ARGS);
  assert.equal(r, 12n);
});

function faultOf(fn: () => unknown): RuntimeFault {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof RuntimeFault, `expected RuntimeFault, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a RuntimeFault');
}

test('faults inside superinstructions name the slot of the instruction that faulted', () => {
  const i = new Interpreter(rawArena(64), () => undefined, { maxInsns: 40 });
  const load = faultOf(() => i.run(prog('lddw %r6, 0x100000000\nldxh %r4, [%r6+0]\nbe16 %r4\nexit'), ARGS));
  assert.match(load.message, /outside the arena/);
  assert.equal(load.insn, 2);
  const budget = faultOf(() => i.run(prog('mov %r4, 0\nloop:\nadd %r4, 1\nja loop\nexit'), ARGS));
  assert.match(budget.message, /more than 40 instructions/);
  assert.equal(budget.insn, 2);
});
