import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonProcess, makeDirs, removeDirs, type DaemonDirs } from './daemon-process.js';

/** Interfaces in0 (ifindex 1, frames arrive) and out0 (ifindex 2); the default route leaves by out0. */
const FIB = {
  forwarding: true,
  devices: [{ ifindex: 1, mac: '02:00:00:00:00:01' }, { ifindex: 2, mac: '02:00:00:00:00:02', mtu: 1500 }],
  routes: [{ prefix: '0.0.0.0/0', ifindex: 2, gateway: '10.9.0.1' }],
  neighbours: [{ ip: '10.9.0.1', mac: '02:00:00:00:00:fe', ifindex: 2 }],
};

/** Replays mixed.pcap into in0 through programs/fib.o; the frames redirected and fib_results[SUCCESS]. */
async function runFib(d: DaemonProcess): Promise<{ redirected: number; successes: number; sent: number }> {
  const prog = await d.req('POST', '/v1/programs', { path: 'fib.o' });
  assert.equal(prog.status, 201, prog.text);
  for (const name of ['in0', 'out0']) assert.equal((await d.req('POST', '/v1/interfaces', { name, kind: 'pcap' })).status, 201);
  assert.equal((await d.req('PUT', '/v1/interfaces/in0/xdp', { program: prog.json.id })).status, 200);
  const replay = await d.req('POST', '/v1/replays', { interface: 'in0', pcap: 'mixed.pcap' });
  const done = await d.waitReplay(replay.json.id);
  assert.equal(done.state, 'done');
  const mapId = prog.json.maps.find((m: { name: string }) => m.name === 'fib_results').id;
  const entries = (await d.req('GET', `/v1/maps/${mapId}/entries`)).json.entries as { key: string; value: string }[];
  const success = entries.find((e) => e.key === '00000000');
  return {
    redirected: await d.metricSum('xdpjit_packets_total', { interface: 'in0', action: 'redirect' }),
    successes: success ? Number(Buffer.from(success.value, 'hex').readBigUInt64LE()) : 0,
    sent: done.framesSent,
  };
}

async function daemonWith(t: { after(fn: () => unknown): void }, extra: string[], env: NodeJS.ProcessEnv = {}): Promise<{ d: DaemonProcess; dirs: DaemonDirs }> {
  const dirs = await makeDirs();
  t.after(() => removeDirs(dirs));
  const d = await DaemonProcess.start(dirs, extra, env);
  t.after(() => d.kill('SIGKILL'));
  return { d, dirs };
}

test('serve --fib: programs attached in the daemon look routes up in the configured FIB (fib.o forwards along it)', async (t) => {
  const plain = await daemonWith(t, []);
  const without = await runFib(plain.d);
  assert.equal(without.successes, 0, 'no FIB: no lookup succeeds');
  assert.equal(without.redirected, 0);

  const dirs = await makeDirs();
  t.after(() => removeDirs(dirs));
  const fibFile = join(dirs.root, 'fib.json');
  await writeFile(fibFile, JSON.stringify(FIB));
  const d = await DaemonProcess.start(dirs, ['--fib', fibFile]);
  t.after(() => d.kill('SIGKILL'));
  const routed = await runFib(d);
  assert.ok(routed.successes > 0, 'IPv4 frames follow the default route');
  assert.equal(routed.redirected, routed.successes, 'every successful lookup redirects');
  assert.ok(routed.redirected < routed.sent);
});

test('XDPJIT_FIB and the config file key give the FIB too; a malformed FIB is refused at start with exit 2', async (t) => {
  const dirs = await makeDirs();
  t.after(() => removeDirs(dirs));
  const fibFile = join(dirs.root, 'fib.json');
  await writeFile(fibFile, JSON.stringify(FIB));
  const viaEnv = await DaemonProcess.start(dirs, [], { XDPJIT_FIB: fibFile });
  t.after(() => viaEnv.kill('SIGKILL'));
  assert.ok((await runFib(viaEnv)).successes > 0, 'XDPJIT_FIB');

  const dirs2 = await makeDirs();
  t.after(() => removeDirs(dirs2));
  const config = join(dirs2.root, 'config.json');
  await writeFile(config, JSON.stringify({ fib: FIB }));
  const viaConfig = await DaemonProcess.start(dirs2, ['--config', config]);
  t.after(() => viaConfig.kill('SIGKILL'));
  assert.ok((await runFib(viaConfig)).successes > 0, 'config file "fib" object');

  const bad = join(dirs.root, 'bad.json');
  await writeFile(bad, '{"devices":[{"ifindex":"x"}]}');
  await assert.rejects(DaemonProcess.start(dirs, ['--fib', bad]), (err: Error) => /exited with 2/.test(err.message) && /FIB config \$\.devices\[0\]\.ifindex/.test(err.message));
});
