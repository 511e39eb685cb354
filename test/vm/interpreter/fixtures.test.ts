/** v4 and atomic assembly fixtures (clang-16 cannot emit v4): interpreter results and disassembly text. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseVector } from '../../../src/conformance/vector.js';
import { listing } from '../../../src/ebpf/disasm.js';
import { InterpreterRawEngine } from '../../../src/vm/raw-entry.js';

const DIR = fileURLToPath(new URL('../../../../test/fixtures/asm/', import.meta.url));
const load = (f: string) => parseVector(f, readFileSync(DIR + f, 'utf8'));

test('every fixture returns its expected r0 (0 = all checks passed, else the failing check)', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.data'));
  assert.ok(files.length >= 5);
  const engine = new InterpreterRawEngine();
  for (const f of files) {
    const v = load(f);
    assert.equal(engine.runRaw(v.insns, v.mem.slice()), v.expected, f);
  }
});

test('fixtures disassemble to the v4 syntax', () => {
  const expect: Record<string, string[]> = {
    'v4-sdiv-smod.data': ['r1 s/= 0x2', 'r1 s%= 0x2', 'r1 s%= r2', 'r1 s/= r2', 'w1 s/= -0x1', 'w1 s%= 0x4', 'w1 s%= w2', 'w1 s/= w2'],
    'v4-movsx.data': ['r2 = (s8)r1', 'w2 = (s8)w1', 'r2 = (s16)r1', 'w2 = (s16)w1', 'r2 = (s32)r1'],
    'v4-ldsx.data': ['r2 = *(s8 *)(r1 + 0x0)', 'r2 = *(s16 *)(r1 + 0x2)', 'r2 = *(s32 *)(r1 + 0x4)'],
    'v4-bswap-gotol.data': ['r1 = bswap16 r1', 'r1 = bswap32 r1', 'r1 = bswap64 r1', 'gotol +0x4', 'gotol -0x3'],
    'atomics.data': [
      'r2 = atomic_fetch_add((u64 *)(r1 + 0x0), r2)', 'lock *(u64 *)(r1 + 0x0) |= r2', 'r2 = atomic_fetch_and((u64 *)(r1 + 0x0), r2)',
      'r2 = atomic_fetch_xor((u64 *)(r1 + 0x0), r2)', 'r2 = xchg_64(r1 + 0x0, r2)', 'r0 = cmpxchg_64(r1 + 0x0, r0, r2)',
      'w2 = atomic_fetch_add((u32 *)(r1 + 0x8), w2)', 'w0 = cmpxchg32_32(r1 + 0x8, w0, w2)', 'w2 = atomic_fetch_and((u32 *)(r1 + 0x8), w2)',
      'lock *(u32 *)(r1 + 0x8) ^= w2', 'lock *(u32 *)(r1 + 0x8) += r2', 'w2 = xchg32_32(r1 + 0x8, w2)',
    ],
  };
  for (const [f, lines] of Object.entries(expect)) {
    const text = listing(load(f).insns).split('\n').map((l) => l.replace(/^\s*\d+: /, '').replace(/ <\d+>$/, ''));
    for (const l of lines) assert.ok(text.includes(l), `${f}: missing '${l}' in\n${text.join('\n')}`);
  }
});
