/**
 * Every bpf_conformance vector (design.md §3a raw entry) through the JIT. The vectors live outside the
 * repository: directory from XDPJIT_CONFORMANCE_DIR, default /work/shared/conformance; skipped when absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseVector } from '../../src/conformance/vector.js';
import { createJitRawEngine } from '../../jit/raw-engine.js';

const dir = process.env['XDPJIT_CONFORMANCE_DIR'] ?? '/work/shared/conformance';

test('every conformance vector returns its expected r0 through the JIT', async (t) => {
  if (!existsSync(dir)) {
    t.skip(`conformance vectors not found at ${dir} (set XDPJIT_CONFORMANCE_DIR)`);
    return;
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.data')).sort();
  assert.ok(files.length > 0, `no .data files in ${dir}`);
  const engine = await createJitRawEngine();
  const failures: string[] = [];
  for (const file of files) {
    const vector = parseVector(file, readFileSync(join(dir, file), 'utf8'));
    try {
      const r0 = await engine.runRaw(vector.insns, new Uint8Array(vector.mem));
      if (r0 !== vector.expected) failures.push(`${file}: r0 = 0x${r0.toString(16)}, expected 0x${vector.expected.toString(16)}`);
    } catch (e) {
      failures.push(`${file}: ${(e as Error).message}`);
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${files.length} vectors failed`);
});
