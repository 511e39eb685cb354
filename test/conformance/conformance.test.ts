/**
 * Every bpf_conformance vector through the interpreter's raw entry. The vectors live outside the repository:
 * XDPJIT_CONFORMANCE_DIR, else ../shared/conformance from the repository root; absent → skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadVectors, runVector } from '../../src/conformance/runner.js';
import { parseVector, VectorParseError } from '../../src/conformance/vector.js';
import { InterpreterRawEngine } from '../../src/vm/raw-entry.js';
import { run } from '../../src/cli/conformance.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const DIR = process.env['XDPJIT_CONFORMANCE_DIR'] ?? resolve(REPO_ROOT, '../shared/conformance');

test('all conformance vectors pass in the interpreter', async (t) => {
  if (!existsSync(DIR)) return t.skip(`no conformance vectors at ${DIR} (set XDPJIT_CONFORMANCE_DIR)`);
  const { vectors, broken } = loadVectors(DIR);
  assert.deepEqual(broken, []);
  assert.ok(vectors.length >= 313, `${vectors.length} vectors`);
  const engine = new InterpreterRawEngine();
  const failures = [];
  for (const v of vectors) {
    const o = await runVector(engine, v);
    if (!o.passed) failures.push(o);
  }
  assert.deepEqual(failures, []);
});

test('vector parser: sections, raw words in place of asm, comments, memory write-back', () => {
  const v = parseVector('t.data', [
    '# header', '-- asm', 'mov %r0, 1', 'exit', '-- raw', '0x00000002000000b7', '0x0000000000000095',
    '-- mem', '01 02', '03', '-- c', 'int x; -- not a section', '-- result', '0x2 # two',
  ].join('\n'));
  assert.equal(v.insns.length, 2);
  assert.equal(v.insns[0]!.imm, 2);
  assert.equal(v.expected, 2n);
  assert.deepEqual([...v.mem], [1, 2, 3]);
  const engine = new InterpreterRawEngine();
  const mem = Uint8Array.of(1, 2, 3, 4);
  const store = parseVector('s.data', '-- asm\nstb [%r1+1], 9\nmov %r0, %r2\nexit\n-- result\n4');
  assert.equal(engine.runRaw(store.insns, mem), 4n);
  assert.deepEqual([...mem], [1, 9, 3, 4]);
  assert.throws(() => parseVector('x.data', '-- asm\nexit\n-- frob\n-- result\n0'), VectorParseError);
  assert.throws(() => parseVector('y.data', '-- asm\nexit\n'), /exactly one result/);
});

test('runner reports expected vs got and a fault as a failure', async () => {
  const engine = new InterpreterRawEngine();
  const wrong = await runVector(engine, parseVector('w.data', '-- asm\nmov %r0, 3\nexit\n-- result\n0x4'));
  assert.deepEqual(wrong, { name: 'w.data', passed: false, expected: '0x4', got: '0x3' });
  const fault = await runVector(engine, parseVector('f.data', '-- asm\ncall 99\nexit\n-- result\n0'));
  assert.equal(fault.passed, false);
  assert.match(fault.passed ? '' : fault.got, /fault: raw: insn 0: unknown helper 99/);
});

test('CLI: last line is the tally; failures exit 1; a missing DIR is bad usage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xdpjit-conf-'));
  const out: string[] = [];
  const io = { out: (t: string) => { out.push(t); }, err: (t: string) => { out.push(t); } };
  try {
    writeFileSync(join(dir, 'ok.data'), '-- asm\nmov %r0, 1\nexit\n-- result\n1\n');
    writeFileSync(join(dir, 'bad.data'), '-- asm\nmov %r0, 1\nexit\n-- result\n2\n');
    const code = await run([dir, '--engine', 'interp'], io);
    const missing = await run([join(dir, 'nope')], io);
    const badEngine = await run([dir, '--engine', 'x'], io);
    assert.equal(code, 1);
    assert.equal(missing, 2);
    assert.equal(badEngine, 2);
    const text = out.join('');
    assert.match(text, /FAIL bad\.data: expected 0x2, got 0x1/);
    assert.match(text, /callx\.data is counted as a non-kernel extension/);
    assert.match(text, /12 out-of-range shift vectors/);
    assert.equal(out.filter((s) => /passed, \d+ failed/.test(s)).at(-1), '1 passed, 1 failed\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
