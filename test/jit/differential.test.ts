/**
 * Differential test: the JIT against the reference interpreter on generated programs (bench/jit-program-gen.ts)
 * × random inputs, comparing r0 and the input buffer after the run. Bounded: XDPJIT_FUZZ_ITERS programs per
 * shape (default 30); a failure prints the seed to replay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InterpreterRawEngine } from '../../src/vm/raw-entry.js';
import { JitRawEngine } from '../../jit/raw-engine.js';
import { generateProgram, prng } from '../../bench/jit-program-gen.js';

const ITERS = Number(process.env['XDPJIT_FUZZ_ITERS'] ?? 30);
const INPUTS = 3;

function randomMem(seed: number, size: number): Uint8Array {
  const rnd = prng(seed);
  return Uint8Array.from({ length: size }, () => Math.floor(rnd() * 256));
}

function compare(branches: boolean, promoteStack: boolean, seedBase: number, optimizeLevel: 0 | 2 = 0, iters = ITERS): void {
  const interp = new InterpreterRawEngine();
  const jit = new JitRawEngine({ promoteStack, optimizeLevel });
  for (let p = 0; p < iters; p++) {
    const seed = seedBase + p;
    const prog = generateProgram(seed, { length: 60 + (p % 5) * 40, branches });
    for (let k = 0; k < INPUTS; k++) {
      const mem = randomMem(seed * 31 + k, prog.memSize);
      const memInterp = mem.slice();
      const memJit = mem.slice();
      const want = interp.runRaw(prog.insns, memInterp);
      const got = jit.runRaw(prog.insns, memJit);
      const where = `seed ${seed} (branches=${branches}, promoteStack=${promoteStack}, -O${optimizeLevel}), input ${k}`;
      assert.equal(got, want, `r0 differs: ${where}`);
      assert.deepEqual(memJit, memInterp, `input buffer differs: ${where}`);
    }
  }
}

test('straight-line programs: JIT = interpreter', () => compare(false, true, 1_000));
test('branchy programs with loops and a bpf-to-bpf call: JIT = interpreter', () => compare(true, true, 2_000));
test('branchy programs without stack promotion: JIT = interpreter', () => compare(true, false, 3_000));
test('branchy programs after Binaryen -O2: JIT = interpreter', () => compare(true, true, 4_000, 2, Math.ceil(ITERS / 5)));
