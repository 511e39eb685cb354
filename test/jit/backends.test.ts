/** Tier-1 direct encoding vs the Binaryen backend, and the fallback for irreducible control flow. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/ebpf/asm.js';
import { compileProgram } from '../../jit/compile.js';
import { JitInstance } from '../../jit/instance.js';
import { Wasm } from '../../jit/wasm-api.js';
import { generateProgram } from '../../bench/jit-program-gen.js';

const memory = new Wasm.Memory({ initial: 20, maximum: 65536, shared: true });
const INPUT = 0x90000;
/** The generated programs write their input buffer: each run starts from zeros. */
const clearInput = (): void => { new Uint8Array(memory.buffer).fill(0, INPUT, INPUT + 64); };
const run = (insns: ReturnType<typeof assemble>, backend: 'direct' | 'binaryen', r1: bigint) => {
  clearInput();
  const c = compileProgram({ name: 't', insns, funcs: [] }, { backend });
  return { backend: c.backend, r0: new JitInstance(c, { memory, cpu: 0, helpers: () => undefined }).run(r1, 0n) };
};

test('a loop with two entries (irreducible) falls back to the Relooper and still computes the same', () => {
  const insns = assemble(`
    mov %r0, 0
    jeq %r1, 0, b
    a:
    add %r0, 1
    jgt %r0, 10, out
    b:
    add %r0, 2
    ja a
    out:
    exit`);
  assert.deepEqual(run(insns, 'direct', 1n), { backend: 'binaryen', r0: 13n });
  assert.deepEqual(run(insns, 'direct', 0n), { backend: 'binaryen', r0: 12n });
});

test('reducible programs (loops, merges, calls) are encoded directly and agree with the Binaryen backend', () => {
  for (let seed = 0; seed < 15; seed++) {
    const { insns } = generateProgram(500 + seed, { length: 150, branches: true, memSize: 64 });
    const direct = compileProgram({ name: 'g', insns, funcs: [] }, { backend: 'direct' });
    assert.equal(direct.backend, 'direct', `seed ${500 + seed}`);
    clearInput();
    const a = new JitInstance(direct, { memory, cpu: 0, helpers: () => undefined }).run(BigInt(INPUT), 0n);
    const b = run(insns, 'binaryen', BigInt(INPUT));
    assert.equal(a, b.r0, `seed ${500 + seed}`);
  }
});
