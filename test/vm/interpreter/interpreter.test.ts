import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../../src/ebpf/asm.js';
import type { Insn } from '../../../src/ebpf/insn.js';
import { RuntimeFault, type AccessChecker, type ExecProgram, type HelperImpl } from '../../../src/vm/exec-types.js';
import { Interpreter } from '../../../src/vm/interpreter/interpreter.js';
import { RAW_MEM_BASE, RAW_STACK_TOP, rawArena } from '../../../src/vm/raw-entry.js';

const prog = (text: string, name = 'p'): ExecProgram => ({ name, insns: assemble(text), funcs: [], lines: [] });
const progOf = (insns: Insn[], name = 'p'): ExecProgram => ({ name, insns, funcs: [], lines: [] });
const ARGS = { r1: RAW_MEM_BASE, r2: 16, ctx: 0, cpu: 0, stackTop: RAW_STACK_TOP };

function interp(helpers: Record<number, HelperImpl> = {}, checker?: AccessChecker): Interpreter {
  return new Interpreter(rawArena(64), (id) => helpers[id], checker === undefined ? {} : { checker });
}

function faultOf(fn: () => unknown): RuntimeFault {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof RuntimeFault, `expected RuntimeFault, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a RuntimeFault');
}

test('bpf-to-bpf calls: args in r1-r5, r6-r9 preserved, r10 512 bytes lower per frame', () => {
  const r = interp().run(prog(`
    mov %r6, 6
    mov %r1, %r10
    call local f
    jne %r6, 6, bad
    exit
    bad:
    mov %r0, -1
    exit
    f:
    mov %r6, 0
    mov %r0, %r1
    sub %r0, %r10
    exit`), ARGS);
  assert.equal(r, 512n);
});

test('the 9th frame is "call stack too deep"; 8 frames run', () => {
  const recurse = (depth: number): string => `
    mov %r1, ${depth}
    call local f
    exit
    f:
    jeq %r1, 1, done
    sub %r1, 1
    call local f
    done:
    mov %r0, 7
    exit`;
  assert.equal(interp().run(prog(recurse(7)), ARGS), 7n);
  const f = faultOf(() => interp().run(prog(recurse(8), 'deep'), ARGS));
  assert.match(f.message, /^deep: insn 5: call stack too deep/);
  assert.equal(f.insn, 5);
});

test('helpers: dispatch by id with RegHalves, unknown id is a fault, callx takes the id from a register', () => {
  const seen: number[] = [];
  const add: HelperImpl = (c) => {
    seen.push(c.insn, c.cpu);
    c.regs[0] = c.regs[2]! + c.regs[4]!;
    c.regs[1] = 0;
  };
  const i = interp({ 7: add });
  assert.equal(i.run(prog('mov %r1, 40\nmov %r2, 2\ncall 7\nexit'), { ...ARGS, cpu: 3 }), 42n);
  assert.deepEqual(seen, [2, 3]);
  assert.equal(i.run(prog('mov %r1, 1\nmov %r2, 2\nmov %r3, 7\ncall %r3\nexit'), ARGS), 3n);
  assert.match(faultOf(() => i.run(prog('call 8\nexit', 'h'), ARGS)).message, /^h: insn 0: unknown helper 8/);
});

test('tail call replaces the program after the helper returns, keeping r1 and r10', () => {
  const target = prog('mov %r0, %r1\nadd %r0, 1000\nexit', 'target');
  let count = -1;
  const tail: HelperImpl = (c) => {
    count = c.tailCallCount;
    c.tailCall(target);
  };
  const r = interp({ 12: tail }).run(prog('mov %r1, 5\ncall 12\nmov %r0, 1\nexit'), ARGS);
  assert.equal(r, 1005n);
  assert.equal(count, 0);
});

test('callbacks run a sub-program on a new frame; the caller\'s registers survive', () => {
  // bpf_loop-like helper 181: calls the callback r1 times with (index, r3), sums the results into r0.
  const loop: HelperImpl = (c) => {
    const n = c.regs[2]!;
    const fn = c.regs[4]!;
    let sum = 0n;
    for (let k = 0; k < n; k++) sum += c.callback(fn, [BigInt(k), BigInt(c.regs[6]!)]);
    c.regs[0] = Number(sum);
    c.regs[1] = 0;
  };
  // lddw with src 4 (function pointer) holds the callback's absolute slot index.
  const insns = assemble(`
    mov %r6, 66
    mov %r1, 4
    lddw %r2, 0
    mov %r3, 10
    call 181
    jne %r6, 66, bad
    exit
    bad:
    mov %r0, -1
    exit
    cb:
    mov %r0, %r1
    add %r0, %r2
    mov %r6, 0
    exit`);
  const ld = insns.findIndex((x) => x.code === 0x18);
  insns[ld] = { ...insns[ld]!, src: 4, imm: 10 - (ld + 1) };
  assert.equal(interp({ 181: loop }).run(progOf(insns), ARGS), 46n);
});

test('a callback\'s bpf-to-bpf calls return into the callback, with its callee-saved registers restored', () => {
  const once: HelperImpl = (c) => {
    c.regs[0] = Number(c.callback(c.regs[4]!, [5n]));
    c.regs[1] = 0;
  };
  const insns = assemble(`
    mov %r6, 66
    lddw %r2, 0
    call 181
    jne %r6, 66, bad
    exit
    bad:
    mov %r0, -1
    exit
    cb:
    mov %r6, 7
    call local twice
    add %r0, %r6
    exit
    twice:
    mov %r6, 0
    mov %r0, %r1
    add %r0, %r1
    exit`);
  const ld = insns.findIndex((x) => x.code === 0x18);
  insns[ld] = { ...insns[ld]!, src: 4, imm: 8 - (ld + 1) };
  // A small budget: a frame popped into the wrong slot would loop instead of returning.
  const i = new Interpreter(rawArena(64), (id) => (id === 181 ? once : undefined), { maxInsns: 1000 });
  assert.equal(i.run(progOf(insns), ARGS), 17n);
});

test('out-of-arena accesses are RuntimeFaults, never RangeErrors', () => {
  const i = interp();
  const cases = [
    'lddw %r2, 0x100000000\nldxb %r0, [%r2+0]\nexit',
    'mov %r2, 0\nldxw %r0, [%r2-4]\nexit',
    'lddw %r2, 0xfffffff0\nstxdw [%r2+0], %r1\nexit',
    'lddw %r2, 0xfffffff0\nlock add [%r2+0], %r1\nexit',
  ];
  for (const c of cases) assert.match(faultOf(() => i.run(prog(c), ARGS)).message, /outside the arena/);
  assert.match(faultOf(() => i.run(prog('mov %r0, 1'), ARGS)).message, /ran past the last instruction/);
  assert.match(faultOf(() => i.run(progOf([{ code: 0xe7, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]), ARGS)).message, /invalid instruction: invalid opcode 0xe7/);
});

test('checked mode: every load, store and atomic is checked first; a checker fault stops the program', () => {
  const calls: string[] = [];
  const checker: AccessChecker = {
    check(addr, size, write, insn) {
      calls.push(`${insn}:${addr - RAW_MEM_BASE}:${size}:${write ? 'w' : 'r'}`);
      if (addr - RAW_MEM_BASE >= 16) throw new RuntimeFault(`access at +${addr - RAW_MEM_BASE} outside packet`, insn, 'checked');
    },
  };
  const i = interp({}, checker);
  assert.equal(i.run(prog('stw [%r1+4], 9\nldxh %r0, [%r1+4]\nlock add32 [%r1+8], %r0\nexit'), ARGS), 9n);
  assert.deepEqual(calls, ['0:4:4:w', '1:4:2:r', '2:8:4:w']);
  const f = faultOf(() => i.run(prog('ldxdw %r0, [%r1+16]\nexit'), ARGS));
  assert.match(f.message, /outside packet/);
});

test('the prepared-program cache is keyed by the ExecProgram object', () => {
  const i = interp();
  const p = prog('mov %r0, 1\nexit');
  assert.equal(i.prepare(p), i.prepare(p));
  assert.notEqual(i.prepare(p), i.prepare(prog('mov %r0, 1\nexit')));
});

test('random straight-line programs end in a value or a RuntimeFault, never another exception', async () => {
  const { describeInsn } = await import('../../../src/ebpf/insn-validity.js');
  let x = 0x12345678;
  const next = (): number => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x;
  };
  const i = interp();
  let faults = 0;
  for (let k = 0; k < 3000; k++) {
    const insns: Insn[] = [];
    while (insns.length < 12) {
      const cand: Insn = { code: next() & 0xff, dst: next() % 11, src: next() % 11, off: (next() % 64) - 32, imm: k % 2 ? next() | 0 : next() % 40 };
      const pair = cand.code === 0x18 ? [cand, { code: 0, dst: 0, src: 0, off: 0, imm: next() | 0 }] : [cand];
      const d = describeInsn(pair, 0);
      // Straight-line only: no jumps (which could loop) and no exit before the end.
      if (!d.valid || d.kind.startsWith('j') || d.kind === 'exit' || d.kind === 'call_local') continue;
      insns.push(...pair);
    }
    insns.push({ code: 0x95, dst: 0, src: 0, off: 0, imm: 0 });
    try {
      assert.equal(typeof i.run(progOf(insns), ARGS), 'bigint');
    } catch (e) {
      assert.ok(e instanceof RuntimeFault, `${String(e)} in ${JSON.stringify(insns)}`);
      faults++;
    }
  }
  assert.ok(faults > 0 && faults < 3000);
});

test('runAction returns r0\'s low word as a number', () => {
  const i = interp();
  assert.equal(i.runAction(prog('lddw %r0, 0x1234567800000003\nexit'), ARGS), 3);
  assert.equal(i.runAction(prog('mov %r0, -1\nexit'), ARGS), 0xffffffff);
});

test('an arena that grows after the interpreter was made is seen without a fault', () => {
  const Memory = (globalThis as unknown as {
    WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer; grow(n: number): number } };
  }).WebAssembly.Memory;
  const mem = new Memory({ initial: 2, maximum: 4, shared: true });
  const i = new Interpreter(mem, () => undefined);
  const p = prog('lddw %r2, 0x30000\nstw [%r2+8], 77\nldxw %r0, [%r2+8]\nexit');
  assert.match(faultOf(() => i.run(p, ARGS)).message, /outside the arena \(131072 bytes\)/);
  mem.grow(2);
  assert.equal(i.run(p, ARGS), 77n);
});

test('maxInsns: a loop closed by a conditional jump faults at that jump once the budget is spent', () => {
  const i = new Interpreter(rawArena(64), () => undefined, { maxInsns: 50 });
  assert.match(faultOf(() => i.run(prog('loop:\nadd %r0, 1\njne %r0, 0, loop\nexit', 'cond'), ARGS)).message, /^cond: insn 1: more than 50 instructions executed/);
});

test('mov+add superinstruction: same result and count as the two instructions, a jump onto the add runs it alone', () => {
  const i = interp();
  assert.equal(i.run(prog('mov %r2, %r1\nadd %r2, 5\nmov %r0, %r2\nsub %r0, %r1\nexit'), ARGS), 5n);
  assert.equal(i.executedInsns, 5);
  assert.equal(i.run(prog('mov %r1, -1\nmov %r0, %r1\nadd %r0, 2\nexit'), ARGS), 1n);
  assert.equal(i.run(prog('mov %r0, 1\nmov %r3, 0\njeq %r3, 0, into\nmov %r0, %r3\ninto:\nadd %r0, 7\nexit'), ARGS), 8n);
  assert.equal(i.run(prog('mov %r0, 1\nmov %r3, 1\njeq %r3, 0, into\nmov %r0, %r3\ninto:\nadd %r0, 7\nexit'), ARGS), 8n);
  assert.equal(i.run(prog('mov %r0, 0\nmov %r3, 0x7fffffff\nmov %r0, %r3\nadd %r0, -0x7fffffff\nexit'), ARGS), 0n);
});

test('executedInsns counts every instruction of the runs that exited', () => {
  const i = interp();
  const p = prog('mov %r0, 0\nmov %r1, 5\nloop:\nadd %r0, 1\nsub %r1, 1\njne %r1, 0, loop\nexit');
  assert.equal(i.run(p, ARGS), 5n);
  assert.equal(i.executedInsns, 2 + 5 * 3 + 1);
  i.run(p, ARGS);
  assert.equal(i.executedInsns, 2 * (2 + 5 * 3 + 1));
});

test('maxInsns bounds a run: an endless loop faults instead of hanging', () => {
  const i = new Interpreter(rawArena(64), () => undefined, { maxInsns: 1000 });
  assert.match(faultOf(() => i.run(prog('loop:\nadd %r0, 1\nja loop\nexit', 'spin'), ARGS)).message, /^spin: insn \d+: more than 1000 instructions executed/);
  assert.equal(i.run(prog('mov %r0, 5\nexit'), ARGS), 5n);
});
