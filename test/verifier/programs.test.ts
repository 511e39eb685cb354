/**
 * Every sample program in programs/ (clang-built, all accepted by the kernel) must verify, in the default
 * mode, with facts for the JIT. A program that uses a helper missing from the shared prototype table
 * (src/ebpf/helpers.ts) is reported as a skip naming the helper, not as a verifier verdict.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseObject } from '../../src/ebpf/loader.js';
import { verify, VerifierError } from '../../src/verifier/index.js';

const PROGRAMS = fileURLToPath(new URL('../../../programs/', import.meta.url));
const objects = readdirSync(PROGRAMS).filter((f) => f.endsWith('.o')).sort();

for (const file of objects) {
  test(`programs/${file} verifies`, (t) => {
    const obj = parseObject(readFileSync(`${PROGRAMS}${file}`));
    assert.ok(obj.programs.length > 0);
    for (const p of obj.programs) {
      try {
        const v = verify(p, obj, {});
        assert.ok(v.processed >= 1 && v.processed <= 1_000_000);
        assert.equal(v.facts.length, p.insns.length);
        assert.ok(v.facts[0] !== undefined, 'the entry instruction was reached');
      } catch (e) {
        if (e instanceof VerifierError && e.detail.unsupported) {
          t.skip(`${p.name}: ${e.detail.rule} (helper prototype missing from src/ebpf/helpers.ts)`);
          continue;
        }
        throw e;
      }
    }
  });
}
