/**
 * Minimal reproductions of why real-world XDP objects (test/realworld/README.md) do not run in xdpjit. Each
 * fixture in repro/ isolates one cause; these tests pin down that xdpjit's answer today is a clear, typed
 * refusal (exit 2, design.md §5) naming what is missing, and, where the kernel is available, that the kernel
 * does accept the object (so the refusal is a gap in xdpjit, not in the program).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { EXIT_USAGE } from '../../src/cli/exit-codes.js';
import { kernelAvailable, kernelVerifyObject } from '../../src/oracle/index.js';

/** This module runs as dist/test/realworld/repro.test.js; fixtures stay in the source tree. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = (name: string): string => join(ROOT, 'test', 'realworld', 'repro', `${name}.o`);
const MIXED = join(ROOT, 'pcaps', 'mixed.pcap');
const BIN = join(ROOT, 'bin', 'xdpjit.js');

/**
 * Runs `xdpjit ARGS` as a new user would, in a child process (capturing the verbs in-process would also
 * capture the test reporter's own output), and returns its exit code and everything it printed.
 */
function xdpjit(...args: string[]): Promise<{ code: number; text: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, text: `${stdout}${stderr}` });
    });
  });
}

/** The kernel's verdicts on the object's XDP programs, or the reason the kernel cannot be asked here. */
async function kernelAccepts(name: string): Promise<boolean | string> {
  const k = await kernelAvailable();
  if (!k.ok) return k.reason;
  const verdicts = await kernelVerifyObject(fixture(name));
  return verdicts.length > 0 && verdicts.every((v) => v.accepted);
}

interface Case {
  readonly name: string;
  /** What the refusal must name, in both `verify` and `run`. */
  readonly names: RegExp;
  /** Whether the kernel (libbpf's loader plus the verifier) takes the object. */
  readonly kernelTakesIt: boolean;
}

const CASES: readonly Case[] = [
  // XDP dynptrs are kfuncs (kernel 6.4+): design.md §4a refuses them by name.
  { name: 'kfunc_dynptr', names: /kfunc bpf_dynptr_from_xdp/, kernelTakesIt: true },
  // net/core/filter.c offers the socket lookups to XDP; xdpjit has no sockets. The refusal names the helper id.
  { name: 'socket_lookup_helper', names: /helper 99\b|skc_lookup_tcp/, kernelTakesIt: true },
  // libbpf 1.x matches SEC("xdp") and "xdp/..." only; "xdp_pass_all" is no XDP program to it or to xdpjit.
  { name: 'nonstandard_section', names: /no XDP program/, kernelTakesIt: false },
];

for (const c of CASES) {
  test(`${c.name}: verify and run refuse with exit 2, naming what is missing`, async () => {
    const v = await xdpjit('verify', fixture(c.name));
    assert.equal(v.code, EXIT_USAGE, v.text);
    assert.match(v.text, c.names);
    const r = await xdpjit('run', fixture(c.name), '--pcap', MIXED, '--jsonl');
    assert.equal(r.code, EXIT_USAGE, r.text);
    assert.match(r.text, c.names);
    assert.doesNotMatch(r.text, /"action"/, 'no frame ran');
  });

  test(`${c.name}: the kernel ${c.kernelTakesIt ? 'accepts' : 'does not load'} it`, async (t) => {
    if (!c.kernelTakesIt) {
      // libbpf cannot guess the program type, so the oracle finds no XDP program to verify.
      const k = await kernelAvailable();
      if (!k.ok) { t.skip(k.reason); return; }
      await assert.rejects(kernelVerifyObject(fixture(c.name)), /no XDP program|no verdict|guess program type/);
      return;
    }
    const verdict = await kernelAccepts(c.name);
    if (typeof verdict === 'string') { t.skip(verdict); return; }
    assert.equal(verdict, true);
  });
}

// A map left for the loader to size (libbpf's bpf_map__set_max_entries, as xdp-bench does) has max_entries 0
// as loaded: the kernel refuses to create it, and both `xdpjit run` and `xdpjit verify` (which create the
// object's maps before verifying, as BPF_MAP_CREATE precedes BPF_PROG_LOAD) refuse it naming the map.
test('map_max_entries_unset: run refuses with exit 2 naming the map and max_entries', async () => {
  const r = await xdpjit('run', fixture('map_max_entries_unset'), '--pcap', MIXED, '--jsonl');
  assert.equal(r.code, EXIT_USAGE, r.text);
  assert.match(r.text, /map 'per_cpu_hits'.*max_entries/);
  assert.doesNotMatch(r.text, /"action"/, 'no frame ran');
});

test('map_max_entries_unset: verify refuses with exit 2 naming the map, as run does', async () => {
  const r = await xdpjit('verify', fixture('map_max_entries_unset'));
  assert.equal(r.code, EXIT_USAGE, r.text);
  assert.match(r.text, /map 'per_cpu_hits'.*max_entries/);
  assert.doesNotMatch(r.text, /accepted/);
});

test('map_max_entries_unset: the kernel does not load it', async (t) => {
  const k = await kernelAvailable();
  if (!k.ok) { t.skip(k.reason); return; }
  const [verdict] = await kernelVerifyObject(fixture('map_max_entries_unset'));
  assert.equal(verdict?.accepted, false);
  assert.match(verdict?.log ?? '', /per_cpu_hits.*failed to create/);
});
