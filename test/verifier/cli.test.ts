/** `xdpjit verify` exit codes and JSON shape (design.md §5). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CORPUS = `${ROOT}test/verifier/corpus/`;

function xdpjit(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [`${ROOT}bin/xdpjit.js`, 'verify', ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('an accepted program exits 0 and prints the JSON summary', () => {
  const r = xdpjit(`${CORPUS}ok_ipv4_ihl_varoff.o`, '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { programs: Array<Record<string, unknown>> };
  assert.equal(out.programs.length, 1);
  const p = out.programs[0]!;
  assert.equal(p.name, 'prog');
  assert.equal(p.section, 'xdp');
  assert.equal(p.accepted, true);
  for (const k of ['insns', 'processed', 'states', 'ms']) assert.equal(typeof p[k], 'number', k);
  assert.equal(p.error, undefined);
});

test('a rejected program exits 1 with instruction, source line, registers, rule and hint', () => {
  const r = xdpjit(`${CORPUS}bad_pkt_off_by_one.o`, '--json');
  assert.equal(r.code, 1);
  const p = (JSON.parse(r.stdout) as { programs: Array<{ accepted: boolean; error: Record<string, unknown> }> }).programs[0]!;
  assert.equal(p.accepted, false);
  assert.equal(typeof p.error.insn, 'number');
  assert.match(String(p.error.disasm), /\*\(u32 \*\)\(r2 \+ 0xc\)/);
  assert.match(String(p.error.rule), /invalid access to packet/);
  assert.match(String(p.error.hint), /data \+ 16 <= data_end/);
  assert.match(String(p.error.registers), /R2=pkt/);
  const text = xdpjit(`${CORPUS}bad_pkt_off_by_one.o`);
  assert.equal(text.code, 1);
  assert.match(text.stdout, /REJECTED/);
});

test('strict mode rejects what only CAP_PERFMON allows', () => {
  assert.equal(xdpjit(`${CORPUS}bad_ptr_return.o`).code, 0);
  assert.equal(xdpjit(`${CORPUS}bad_ptr_return.o`, '--strict').code, 1);
});

test('bad input exits 2: unreadable, malformed, unknown program, kfunc/unknown helper', () => {
  assert.equal(xdpjit('/nonexistent.o').code, 2);
  const dir = mkdtempSync(`${tmpdir()}/xdpjit-verify-`);
  writeFileSync(`${dir}/junk.o`, 'not an ELF file');
  assert.equal(xdpjit(`${dir}/junk.o`).code, 2);
  assert.equal(xdpjit(`${CORPUS}ok_tail_call.o`, '--prog', 'nope').code, 2);
  assert.equal(xdpjit(`${CORPUS}bad_helper_unknown.o`).code, 2);
  assert.equal(xdpjit().code, 2);
});

test('-v prints a per-instruction state log', () => {
  const r = xdpjit(`${CORPUS}ok_pkt_meta_checked.o`, '-v');
  assert.equal(r.code, 0);
  assert.match(r.stderr, /^0: R1=ctx R10=fp0$/m);
  assert.match(r.stderr, /^0: \(61\) r2 = \*\(u32 \*\)\(r1 \+ 0x8\) ; R1=ctx R2=pkt_meta\(r=0\) R10=fp0$/m);
  assert.match(r.stderr, /R2=pkt_meta\(r=4\)/);
});
