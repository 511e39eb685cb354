import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { BIN, DaemonProcess, makeDirs, removeDirs } from './daemon-process.js';

function xdpjit(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('client verbs drive a daemon: tables on stdout, --json for scripts, exit codes per design.md §5', async (t) => {
  const dirs = await makeDirs();
  const d = await DaemonProcess.start(dirs, ['--token', 'tok']);
  t.after(async () => { await d.kill('SIGKILL'); await removeDirs(dirs); });
  d.token = 'tok';
  const env = { XDPJIT_SERVER: d.url, XDPJIT_TOKEN: 'tok' };

  const load = await xdpjit(['prog', 'load', join(dirs.programs, 'port_firewall.o'), '--json'], env);
  assert.equal(load.code, 0, load.stderr);
  const prog = JSON.parse(load.stdout);
  assert.equal(prog.name, 'port_firewall');
  const blocked = prog.maps.find((m: { name: string }) => m.name === 'blocked_ports').id;

  assert.equal((await xdpjit(['iface', 'add', 'p0', '--kind', 'pcap'], env)).code, 0);
  assert.equal((await xdpjit(['attach', 'p0', prog.id, '--engine', 'interp'], env)).code, 0);
  assert.equal((await xdpjit(['map', 'update', blocked, '3500', '01'], env)).code, 0);
  const start = await xdpjit(['replay', 'start', 'p0', 'mixed.pcap', '--loop', '2', '--json'], env);
  assert.equal(start.code, 0, start.stderr);
  const done = await d.waitReplay(JSON.parse(start.stdout).id);

  const list = await xdpjit(['iface', 'list'], env);
  assert.match(list.stdout, /^ifindex\s+name\s+kind\s+xdp/m);
  assert.match(list.stdout, /p0\s+pcap\s+port_firewall\/port_firewall \(interp\)\s+\d+/);
  const stats = JSON.parse((await xdpjit(['stats', '--json'], env)).stdout);
  assert.equal(stats.length, 1);
  const sum = Object.values(stats[0].packets as Record<string, number>).reduce((a, b) => a + b, 0);
  assert.equal(sum, done.framesSent);
  assert.ok(stats[0].packets.drop > 0);
  const dump = await xdpjit(['map', 'dump', blocked], env);
  assert.match(dump.stdout, /^3500\s+01$/m);
  const status = await xdpjit(['replay', 'status'], env);
  assert.match(status.stdout, /mixed\.pcap\s+done/);

  // Bad input → 2; an attached program cannot be removed (409 → 2); a wrong token or no daemon → 1.
  const bad = await xdpjit(['map', 'update', blocked, '35', '01'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /key size is 2/);
  assert.equal((await xdpjit(['prog', 'rm', prog.id], env)).code, 2);
  assert.equal((await xdpjit(['prog', 'list'], { ...env, XDPJIT_TOKEN: 'nope' })).code, 1);
  assert.equal((await xdpjit(['prog', 'list', '--server', 'http://127.0.0.1:1'], env)).code, 1);
  assert.equal((await xdpjit(['prog', 'frobnicate'], env)).code, 2);
  assert.equal((await xdpjit(['detach', 'p0'], env)).code, 0);
  assert.equal((await xdpjit(['prog', 'rm', prog.id], env)).code, 0);
  assert.match((await xdpjit(['prog', 'list'], env)).stdout, /\(none\)/);
});
