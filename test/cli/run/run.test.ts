/**
 * `xdpjit run` end to end on committed sample objects and captures (programs/, pcaps/): exit codes, the
 * --jsonl line shape, --dump-maps order, --maps errors with line numbers, --out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { readCapture } from '../../../src/dataplane/capture/read-capture.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const prog = (n: string): string => join(ROOT, 'programs', `${n}.o`);
const MIXED = join(ROOT, 'pcaps', 'mixed.pcap');

const BIN = join(ROOT, 'bin', 'xdpjit.js');

/** The real command in a child process (the test runner reports on this process's stdout). */
function xdpjit(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'run', ...args], { maxBuffer: 64 << 20 }, (e, out, err) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err });
    });
  });
}

const jsonLines = (s: string): Record<string, unknown>[] => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

test('--jsonl: one line per frame in order, exactly i/action/len/sha1; --dump-maps sorted by map then key', async () => {
  const r = await xdpjit(prog('port_firewall'), '--pcap', MIXED, '--maps', join(ROOT, 'programs', 'port_firewall.maps'), '--jsonl', '--dump-maps');
  assert.equal(r.code, 0, r.err);
  const lines = jsonLines(r.out);
  const frames = lines.filter((l) => 'i' in l);
  const nFrames = readCapture(readFileSync(MIXED)).frames.length;
  assert.equal(frames.length, nFrames);
  frames.forEach((f, i) => {
    assert.deepEqual(Object.keys(f), ['i', 'action', 'len', 'sha1']);
    assert.equal(f.i, i);
    assert.match(f.sha1 as string, /^[0-9a-f]{40}$/);
  });
  assert.ok(frames.some((f) => f.action === 'XDP_DROP') && frames.some((f) => f.action === 'XDP_PASS'));
  const maps = lines.slice(nFrames);
  const order = maps.map((m) => `${m.map as string} ${m.key as string}`);
  assert.deepEqual(order, [...order].sort());
  assert.ok(maps.some((m) => m.map === 'port_hits' && Array.isArray(m.values)), 'per-CPU map gives values');
  assert.ok(maps.some((m) => m.map === 'blocked_ports' && m.value === '01'));
});

test('without --jsonl: an action summary table', async () => {
  const r = await xdpjit(prog('xdp_drop'), '--pcap', MIXED);
  assert.equal(r.code, 0);
  assert.match(r.out, /^program \w+: \d+ frames\naction\s+frames\nXDP_DROP\s+\d+\n$/);
});

test('--set and --maps lines that do not fit the map: exit 2 naming file and line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xdpjit-run-'));
  const bad = join(dir, 'bad.maps');
  writeFileSync(bad, '# ok\nblocked_ports 3500 01\nblocked_ports 350000 01\n');
  let r = await xdpjit(prog('port_firewall'), '--pcap', MIXED, '--maps', bad);
  assert.equal(r.code, 2);
  assert.match(r.err, /bad\.maps:3: map 'blocked_ports' key is 2 bytes; the line gives 3/);
  r = await xdpjit(prog('port_firewall'), '--pcap', MIXED, '--set', 'nosuch 00 00');
  assert.equal(r.code, 2);
  assert.match(r.err, /--set:1: no map 'nosuch'/);
  writeFileSync(bad, 'blocked_ports 35 01\n');
  r = await xdpjit(prog('port_firewall'), '--pcap', MIXED, '--maps', bad);
  assert.match(r.err, /bad\.maps:1: .*key/);
});

test('bad usage and bad input exit 2', async () => {
  assert.equal((await xdpjit(prog('xdp_pass'))).code, 2);
  assert.equal((await xdpjit(prog('xdp_pass'), '--pcap', join(ROOT, 'nope.pcap'))).code, 2);
  assert.equal((await xdpjit(prog('xdp_pass'), '--pcap', join(ROOT, 'pcaps', 'raw.pcap'))).code, 2);
  assert.equal((await xdpjit(prog('xdp_pass'), '--pcap', MIXED, '--prog', 'nosuch')).code, 2);
  assert.equal((await xdpjit(prog('xdp_pass'), '--pcap', MIXED, '--clock', 'sundial')).code, 2);
  assert.equal((await xdpjit(join(ROOT, 'package.json'), '--pcap', MIXED)).code, 2);
});

test('--engine jit prints exactly what the interpreter prints (or exits 2 while the JIT is not wired)', async (t) => {
  const args = [prog('port_firewall'), '--pcap', MIXED, '--maps', join(ROOT, 'programs', 'port_firewall.maps'), '--jsonl', '--dump-maps'];
  const jit = await xdpjit(...args, '--engine', 'jit');
  if (jit.code === 2 && /JIT engine not available yet/.test(jit.err)) return t.skip('JIT engine not available yet');
  const interp = await xdpjit(...args, '--engine', 'interp');
  assert.equal(jit.code, 0, jit.err);
  assert.equal(jit.out, interp.out);
});

test('--out writes every frame that leaves, with its output bytes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xdpjit-run-'));
  const out = join(dir, 'out.pcap');
  const r = await xdpjit(prog('port_firewall'), '--pcap', MIXED, '--maps', join(ROOT, 'programs', 'port_firewall.maps'), '--jsonl', '--out', out);
  assert.equal(r.code, 0);
  const passed = jsonLines(r.out).filter((l) => l.action === 'XDP_PASS');
  const written = readCapture(readFileSync(out)).frames;
  assert.equal(written.length, passed.length);
  assert.deepEqual(written.map((f) => f.data.length), passed.map((p) => p.len));
});

test('ring buffer records print as {"event":...} lines before their frame; @NAME fills and dumps for PROG_ARRAY and map-in-map', async () => {
  const ev = await xdpjit(prog('events'), '--pcap', MIXED, '--jsonl');
  assert.equal(ev.code, 0, ev.err);
  const lines = jsonLines(ev.out);
  const events = lines.filter((l) => 'event' in l);
  assert.ok(events.length > 0);
  for (const e of events) {
    assert.deepEqual(Object.keys(e), ['event', 'i', 'cpu', 'map', 'data']);
    assert.equal(e.event, 'ringbuf');
    const at = lines.indexOf(e);
    assert.ok(lines.slice(at).find((l) => 'action' in l)!.i === e.i, 'the event precedes its frame line');
  }
  const tail = await xdpjit(prog('tail_dispatch'), '--pcap', MIXED, '--maps', join(ROOT, 'programs', 'tail_dispatch.maps'), '--dump-maps');
  assert.equal(tail.code, 0, tail.err);
  assert.ok(jsonLines(tail.out.slice(tail.out.indexOf('{'))).some((l) => l.map === 'jmp_table' && l.key === '03000000' && l.value === '@handle_icmp'));
  const mim = await xdpjit(prog('map_in_map'), '--pcap', MIXED, '--maps', join(ROOT, 'programs', 'map_in_map.maps'), '--dump-maps');
  assert.equal(mim.code, 0, mim.err);
  assert.ok(jsonLines(mim.out.slice(mim.out.indexOf('{'))).some((l) => l.map === 'by_family' && l.key === '02000000' && l.value === '@other_counts'));
  const bad = await xdpjit(prog('tail_dispatch'), '--pcap', MIXED, '--set', 'jmp_table 00000000 @nosuch');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--set:1: jmp_table: no program 'nosuch' in the object/);
});

test('--fib FILE: fib_lookup forwards along the virtual FIB; a malformed FIB file is bad input (exit 2)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xdpjit-fib-'));
  const fib = join(dir, 'fib.json');
  writeFileSync(fib, JSON.stringify({
    forwarding: true,
    devices: [{ ifindex: 1, mac: '02:00:00:00:00:01' }, { ifindex: 2, mac: '02:00:00:00:00:02' }],
    routes: [{ prefix: '0.0.0.0/0', ifindex: 2, gateway: '10.9.0.1' }],
    neighbours: [{ ip: '10.9.0.1', mac: '02:00:00:00:00:fe', ifindex: 2 }],
  }));
  const without = await xdpjit(prog('fib'), '--pcap', MIXED, '--jsonl', '--engine', 'interp');
  assert.equal(without.code, 0, without.err);
  assert.ok(jsonLines(without.out).every((l) => l.action !== 'XDP_REDIRECT'), 'no routes: nothing is forwarded');
  const routed = await xdpjit(prog('fib'), '--pcap', MIXED, '--jsonl', '--engine', 'interp', '--fib', fib);
  assert.equal(routed.code, 0, routed.err);
  const redirected = jsonLines(routed.out).filter((l) => l.action === 'XDP_REDIRECT');
  assert.ok(redirected.length > 0, 'IPv4 frames follow the default route');
  for (const l of redirected) assert.deepEqual(l.redirect, { ifindex: 2 });
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"devices":[{"ifindex":"x"}]}');
  const refused = await xdpjit(prog('fib'), '--pcap', MIXED, '--fib', bad);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /FIB config \$\.devices\[0\]\.ifindex/);
});
