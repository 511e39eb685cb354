/** Which stack ranges live in wasm locals (jit/stack-promotion.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/ebpf/asm.js';
import { buildCfg } from '../../jit/cfg.js';
import { promotableStackSlots } from '../../jit/stack-promotion.js';

const slots = (text: string): string[] => {
  const insns = assemble(text);
  return [...promotableStackSlots(insns, buildCfg(insns, [], 't')[0]!)].sort();
};

test('a key passed to a helper pins [K, 0); slots below it and exact-range spills are promoted', () => {
  assert.deepEqual(slots(`
    stxdw [%r10-16], %r1
    stxw [%r10-4], %r1
    mov %r2, %r10
    add %r2, -4
    call 1
    ldxdw %r0, [%r10-16]
    ldxw %r1, [%r10-4]
    exit`), ['-16:8']);
});

test('mixed-size accesses to the same bytes stay in memory', () => {
  assert.deepEqual(slots(`
    stxdw [%r10-8], %r1
    ldxw %r0, [%r10-8]
    stxdw [%r10-24], %r1
    ldxdw %r0, [%r10-24]
    exit`), ['-24:8']);
});

test('a stack pointer that is stored, returned, passed to a sub-program, or kept across blocks escapes the frame', () => {
  const spill = 'stxdw [%r10-16], %r1\nldxdw %r0, [%r10-16]\n';
  assert.deepEqual(slots(`${spill}mov %r3, %r10\nstxdw [%r1+0], %r3\nexit`), []);
  assert.deepEqual(slots(`${spill}mov %r0, %r10\nexit`), []);
  assert.deepEqual(slots(`${spill}mov %r1, %r10\ncall local f\nexit\nf:\nmov %r0, 0\nexit`), []);
  assert.deepEqual(slots(`${spill}mov %r6, %r10\njeq %r1, 0, l\nl:\nexit`), []);
  assert.deepEqual(slots(`${spill}mov %r3, %r10\nadd %r3, -8\ncall 181\nexit`), [], 'bpf_loop hands its context to a callback');
  assert.deepEqual(slots(`${spill}exit`), ['-16:8']);
});

test('accesses through a copy of r10 pin their bytes', () => {
  assert.deepEqual(slots(`
    stxdw [%r10-16], %r1
    stxdw [%r10-32], %r1
    mov %r3, %r10
    add %r3, -20
    ldxdw %r0, [%r3+4]
    mov %r3, 0
    ldxdw %r0, [%r10-32]
    exit`), ['-32:8']);
});
