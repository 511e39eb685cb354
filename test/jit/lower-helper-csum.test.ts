/**
 * bpf_csum_diff lowered in wasm (jit/lower-helper-csum.ts) against the TS helper (src/vm/helpers/csum.ts) on
 * the same arena bytes: every size pair (valid, not a multiple of 4, above the 512-byte scratch pad, upper
 * register halves set), seeds at the edges, data whose sums wrap or are 0 / all-ones words; lowered runs must
 * not reach the trampoline, except in a hardened module, which keeps it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { buildHelpers } from '../../src/vm/helpers/helper-table.js';
import type { HelperEnv } from '../../src/vm/helpers/helper-env.js';
import { CaptureClock } from '../../src/vm/clock.js';
import type { Insn } from '../../src/ebpf/insn.js';
import { compileProgram } from '../../jit/compile.js';
import { createInlineHelpers } from '../../jit/inline-helpers.js';
import { JitInstance } from '../../jit/instance.js';
import { CSUM_DIFF } from '../../jit/lower-helper-csum.js';
import { callHelper, exit, ldImm64 } from './insn-builders.js';

const CPU = 0;

function setup(harden = false, backend: 'direct' | 'binaryen' = 'direct') {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 1 });
  const env: HelperEnv = {
    arena, clock: new CaptureClock(1), mapAt: () => undefined, checkMem: () => undefined, programById: () => undefined,
    fault: (c, message) => new Error(`insn ${c.insn}: ${message}`), deviceMtu: () => undefined, allMaps: () => [],
    emit: () => undefined,
  };
  const helpers = buildHelpers(env);
  let calls = 0;
  const run = (args: readonly bigint[]): { ts: bigint; lowered: bigint } => {
    const insns: Insn[] = [...args.flatMap((v, i) => ldImm64(i + 1, v)), callHelper(CSUM_DIFF), exit()];
    const program = { name: 'p', insns, funcs: [] };
    const viaTs = new JitInstance(compileProgram(program), { memory: arena.memory, cpu: CPU, helpers });
    const lowered = new JitInstance(compileProgram(program, {
      inlineHelper: createInlineHelpers(arena.u32), backend, validate: true,
      ...(harden ? { harden: { key: 0x1234_5678_9abc_def0n, mapValues: new Map() } } : {}),
    }), { memory: arena.memory, cpu: CPU, helpers: (h) => { calls++; return helpers(h); } });
    return { ts: viaTs.run(0n, 0n, 0), lowered: lowered.run(0n, 0n, 0) };
  };
  return { arena, run, calls: () => calls };
}

for (const backend of ['direct', 'binaryen'] as const) test(`bpf_csum_diff lowered (${backend} backend): the TS helper's r0 for every size pair, seed and data shape, without the trampoline`, () => {
  const { arena, run, calls } = setup(false, backend);
  const from = arena.alloc(1024, 'from');
  const to = arena.alloc(1024, 'to');
  let seed = 99;
  const rand = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed >>> 8 & 0xff; };
  const fills: readonly ((i: number) => number)[] = [() => 0, () => 0xff, rand, (i) => (i % 8 < 4 ? 0xff : 0), (i) => (i % 4 === 3 ? 0x80 : 1)];
  const sizes = [0n, 4n, 8n, 20n, 40n, 252n, 256n, 508n, 512n, 516n, 1n, 2n, 3n, 6n, 0x1_0000_0004n];
  const seeds = [0n, 1n, 0xffffn, 0xffff_fffen, 0xffff_ffffn, 0x8000_0000n, 0xdead_beef_0000_1234n];
  let n = 0;
  for (const fillFrom of fills) {
    for (const fillTo of fills) {
      for (let i = 0; i < 1024; i++) { arena.u8[from + i] = fillFrom(i); arena.u8[to + i] = fillTo(i); }
      for (const fs of sizes) {
        for (const ts of sizes) {
          const s = seeds[n++ % seeds.length]!;
          const r = run([BigInt(from), fs, BigInt(to), ts, s]);
          assert.equal(r.lowered, r.ts, `from ${fs} to ${ts} seed ${s}`);
        }
      }
    }
  }
  assert.equal(calls(), 0);
});

test('bpf_csum_diff in a hardened module keeps the trampoline (its memory arguments are checked there)', () => {
  const { arena, run, calls } = setup(true);
  const buf = arena.alloc(64, 'buf');
  arena.u8.fill(0x5a, buf, buf + 64);
  const r = run([BigInt(buf), 8n, BigInt(buf + 8), 16n, 7n]);
  assert.equal(r.lowered, r.ts);
  assert.equal(calls(), 1);
});
