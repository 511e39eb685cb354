import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonProcess, makeDirs, removeDirs } from './daemon-process.js';

const ACTIONS = ['aborted', 'drop', 'pass', 'tx', 'redirect', 'unknown'];
/** Frames in pcaps/mixed.pcap, as tcpdump counts them. */
function frameCount(pcap: string): number {
  return execFileSync('tcpdump', ['-r', pcap, '-nn'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim().split('\n').length;
}

test('upload, attach, replay: per-action packet sums equal the frames replayed, and promtool accepts /metrics', async (t) => {
  const dirs = await makeDirs();
  const d = await DaemonProcess.start(dirs);
  t.after(async () => { await d.kill('SIGKILL'); await removeDirs(dirs); });

  const bytes = await readFile(join(dirs.programs, 'port_firewall.o'));
  const up = await d.req('POST', '/v1/programs?name=fw', bytes);
  assert.equal(up.status, 201, up.text);
  assert.equal(up.json.name, 'fw');
  assert.deepEqual(up.json.programs.map((p: { name: string }) => p.name), ['port_firewall']);
  assert.deepEqual(up.json.maps.map((m: { name: string }) => m.name).sort(), ['blocked_ports', 'port_hits']);
  const byPath = await d.req('POST', '/v1/programs', { path: 'proto_count.o' });
  assert.equal(byPath.status, 201, byPath.text);
  assert.equal(byPath.json.name, 'proto_count');

  assert.equal((await d.req('POST', '/v1/interfaces', { name: 'p0', kind: 'pcap' })).status, 201);
  const blocked = up.json.maps.find((m: { name: string }) => m.name === 'blocked_ports').id;
  // Block DNS (port 53, u16 little-endian) so that the replay sees DROP as well as PASS.
  assert.equal((await d.req('PUT', `/v1/maps/${blocked}/entries/3500`, { value: '01' })).status, 204);
  const att = await d.req('PUT', '/v1/interfaces/p0/xdp', { program: up.json.id, engine: 'interp' });
  assert.equal(att.status, 200, att.text);
  assert.equal(att.json.attachment.program, up.json.id);

  const frames = frameCount(join(dirs.pcaps, 'mixed.pcap'));
  const rep = await d.req('POST', '/v1/replays', { interface: 'p0', pcap: 'mixed.pcap', loop: 3 });
  assert.equal(rep.status, 202, rep.text);
  const done = await d.waitReplay(rep.json.id);
  assert.equal(done.state, 'done');
  assert.equal(done.framesSent, 3 * frames);
  assert.equal(done.framesTotal, 3 * frames);

  let total = 0;
  for (const action of ACTIONS) total += await d.metricSum('xdpjit_packets_total', { interface: 'p0', program: 'fw', action });
  assert.equal(total, 3 * frames);
  assert.ok(await d.metricSum('xdpjit_packets_total', { action: 'drop' }) > 0, `the blocked port dropped frames: ${(await d.req('GET', '/metrics')).text.split('\n').filter((l) => l.startsWith('xdpjit_packets')).join('\n')}`);
  assert.ok(await d.metricSum('xdpjit_packets_total', { action: 'pass' }) > 0);
  const ifaces = await d.req('GET', '/v1/interfaces');
  assert.equal(ifaces.json[0].counters.rxPackets, 3 * frames);

  const hits = up.json.maps.find((m: { name: string }) => m.name === 'port_hits').id;
  const entries = await d.req('GET', `/v1/maps/${hits}/entries`);
  assert.equal(entries.status, 200);
  const dns = entries.json.entries.find((e: { key: string }) => e.key === '3500');
  assert.ok(dns, 'port_hits counted DNS');
  assert.equal(dns.values.length, 2, 'one value per CPU');
  // BTF describes __u16 keys and __u64 per-CPU values: rendered as numbers, one per CPU.
  assert.equal(dns.keyJson, 53);
  assert.deepEqual(dns.valueJson, dns.values.map((h: string) => Number(Buffer.from(h, 'hex').readBigUInt64LE())));
  assert.deepEqual((await d.req('GET', `/v1/maps/${blocked}/entries`)).json.entries, [{ key: '3500', value: '01', keyJson: 53, valueJson: 1 }]);
  assert.equal(await d.metricSum('xdpjit_map_entries', { map: 'blocked_ports' }), 1);

  const metrics = await d.req('GET', '/metrics');
  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: metrics.text });
  if (promtool.error) t.diagnostic(`promtool not available: ${promtool.error.message}`);
  else assert.equal(promtool.status, 0, promtool.stdout.toString() + promtool.stderr.toString());

  // Detach: the program's series go away; the program can then be removed.
  assert.equal((await d.req('DELETE', `/v1/programs/${up.json.id}`)).status, 409);
  assert.equal((await d.req('DELETE', '/v1/interfaces/p0/xdp')).status, 204);
  assert.equal(await d.metricSum('xdpjit_packets_total', { program: 'fw' }), 0);
  const perInterface = /^xdpjit_(packets|bytes|redirect_errors|exceptions|program_run_seconds)_total\{.*program="fw"/m;
  assert.doesNotMatch((await d.req('GET', '/metrics')).text, perInterface);
  assert.equal((await d.req('DELETE', `/v1/programs/${up.json.id}`)).status, 204);
  assert.ok(!(await d.req('GET', '/metrics')).text.includes('program="fw"'), 'a removed program leaves no series');
  assert.equal((await d.req('GET', `/v1/programs/${up.json.id}`)).status, 404);
});

test('hot swap: 1,000 replacements during a replay lose and double no frame', async (t) => {
  const dirs = await makeDirs();
  const d = await DaemonProcess.start(dirs);
  t.after(async () => { await d.kill('SIGKILL'); await removeDirs(dirs); });
  // Two objects under one name: the counters of "swap" continue across replacements.
  const a = await d.req('POST', '/v1/programs?name=swap', { path: 'xdp_drop.o' });
  const b = await d.req('POST', '/v1/programs?name=swap', { path: 'xdp_pass.o' });
  assert.equal(a.status, 201, a.text);
  assert.equal(b.status, 201, b.text);
  await d.req('POST', '/v1/interfaces', { name: 'p0', kind: 'pcap' });
  assert.equal((await d.req('PUT', '/v1/interfaces/p0/xdp', { program: a.json.id })).status, 200);
  // At capture pace the replay keeps many small batches in flight without starving the API of CPU.
  const rep = await d.req('POST', '/v1/replays', { interface: 'p0', pcap: 'mixed.pcap', loop: 0, speed: 1 });
  const swaps = Number(process.env['XDPJIT_SWAPS'] ?? 1000);
  for (let i = 0; i < swaps; i++) {
    const r = await d.req('PUT', '/v1/interfaces/p0/xdp', { program: i % 2 === 0 ? b.json.id : a.json.id });
    assert.equal(r.status, 200, r.text);
  }
  const stopped = await d.req('DELETE', `/v1/replays/${rep.json.id}`);
  assert.equal(stopped.json.state, 'stopped');
  const drop = await d.metricSum('xdpjit_packets_total', { program: 'swap', action: 'drop' });
  const pass = await d.metricSum('xdpjit_packets_total', { program: 'swap', action: 'pass' });
  assert.ok(drop > 0 && pass > 0, `both programs ran (drop ${drop}, pass ${pass})`);
  assert.equal(drop + pass, stopped.json.framesSent);
  assert.equal(await d.metricSum('xdpjit_packets_total', { program: 'swap' }), stopped.json.framesSent);
});

test('a chain runs libxdp-style by priority and chain_call_actions', async (t) => {
  const dirs = await makeDirs();
  const d = await DaemonProcess.start(dirs);
  t.after(async () => { await d.kill('SIGKILL'); await removeDirs(dirs); });
  const p = await d.req('POST', '/v1/programs', { path: 'xdp_chain.o' });
  assert.equal(p.status, 201, p.text);
  await d.req('POST', '/v1/interfaces', { name: 'c0', kind: 'pcap' });
  const att = await d.req('PUT', '/v1/interfaces/c0/xdp', { chain: [{ program: p.json.id, entry: 'chain_count' }, { program: p.json.id, entry: 'chain_filter' }] });
  assert.equal(att.status, 200, att.text);
  // XDP_RUN_CONFIG priorities (filter 10, count 20) order the chain whatever order the body gave.
  assert.deepEqual(att.json.attachment.chain.map((s: { entry: string }) => s.entry), ['chain_filter', 'chain_count']);
  const rep = await d.req('POST', '/v1/replays', { interface: 'c0', pcap: 'mixed.pcap' });
  const done = await d.waitReplay(rep.json.id);
  const first = await d.metricSum('xdpjit_packets_total', { program: 'xdp_chain/chain_filter' });
  const second = await d.metricSum('xdpjit_packets_total', { program: 'xdp_chain/chain_count' });
  const firstPass = await d.metricSum('xdpjit_packets_total', { program: 'xdp_chain/chain_filter', action: 'pass' });
  assert.equal(first, done.framesSent);
  assert.equal(second, firstPass, 'the second program runs exactly for the frames the first passed');
});
