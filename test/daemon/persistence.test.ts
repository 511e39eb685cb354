import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonProcess, makeDirs, removeDirs } from './daemon-process.js';

test('after kill -9 the daemon comes back with programs, interfaces, attachments, API-written entries and snapshotted data-path entries', async (t) => {
  const dirs = await makeDirs();
  t.after(() => removeDirs(dirs));
  const d1 = await DaemonProcess.start(dirs);
  const fw = await d1.req('POST', '/v1/programs?name=fw', { path: 'port_firewall.o' });
  assert.equal(fw.status, 201, fw.text);
  await d1.req('POST', '/v1/interfaces', { name: 'pa', kind: 'veth', peer: 'pb' });
  await d1.req('POST', '/v1/interfaces', { name: 'p0', kind: 'pcap' });
  assert.equal((await d1.req('PUT', '/v1/interfaces/p0/xdp', { program: fw.json.id })).status, 200);
  const blocked = fw.json.maps.find((m: { name: string }) => m.name === 'blocked_ports').id;
  const hits = fw.json.maps.find((m: { name: string }) => m.name === 'port_hits').id;
  assert.equal((await d1.req('PUT', `/v1/maps/${blocked}/entries/1700`, { value: '01' })).status, 204);
  const rep = await d1.req('POST', '/v1/replays', { interface: 'p0', pcap: 'mixed.pcap' });
  await d1.waitReplay(rep.json.id);
  const before = (await d1.req('GET', `/v1/maps/${hits}/entries`)).json.entries;
  assert.ok(before.length > 0);
  // The 5 s snapshot writes what the data path counted; wait for one, then kill without warning.
  await new Promise((r) => setTimeout(r, 5600));
  assert.equal(await d1.kill('SIGKILL'), null);

  const d2 = await DaemonProcess.start(dirs);
  t.after(() => d2.kill('SIGKILL'));
  const progs = (await d2.req('GET', '/v1/programs')).json;
  assert.deepEqual(progs.map((p: { id: string; name: string }) => [p.id, p.name]), [[fw.json.id, 'fw']]);
  const ifaces = (await d2.req('GET', '/v1/interfaces')).json;
  assert.deepEqual(ifaces.map((i: { name: string; ifindex: number }) => [i.name, i.ifindex]).sort(), [['p0', 3], ['pa', 1], ['pb', 2]]);
  assert.equal(ifaces.find((i: { name: string }) => i.name === 'p0').attachment.program, fw.json.id);
  const entries = (await d2.req('GET', `/v1/maps/${blocked}/entries`)).json.entries;
  assert.deepEqual(entries, [{ key: '1700', value: '01', keyJson: 23, valueJson: 1 }]);
  assert.deepEqual((await d2.req('GET', `/v1/maps/${hits}/entries`)).json.entries, before);
  // A new program gets a fresh id, not one of the restored ones.
  const again = await d2.req('POST', '/v1/programs', { path: 'xdp_pass.o' });
  assert.notEqual(again.json.id, fw.json.id);
  // The restored attachment runs.
  const rep2 = await d2.req('POST', '/v1/replays', { interface: 'p0', pcap: 'mixed.pcap' });
  const done = await d2.waitReplay(rep2.json.id);
  assert.equal(await d2.metricSum('xdpjit_packets_total', { interface: 'p0' }), done.framesSent);
});

test('SIGTERM stops gracefully with exit 0 and a final snapshot', async (t) => {
  const dirs = await makeDirs();
  t.after(() => removeDirs(dirs));
  const d1 = await DaemonProcess.start(dirs);
  const fw = await d1.req('POST', '/v1/programs?name=fw', { path: 'port_firewall.o' });
  await d1.req('POST', '/v1/interfaces', { name: 'p0', kind: 'pcap' });
  await d1.req('PUT', '/v1/interfaces/p0/xdp', { program: fw.json.id });
  const rep = await d1.req('POST', '/v1/replays', { interface: 'p0', pcap: 'mixed.pcap' });
  await d1.waitReplay(rep.json.id);
  const hits = fw.json.maps.find((m: { name: string }) => m.name === 'port_hits').id;
  const before = (await d1.req('GET', `/v1/maps/${hits}/entries`)).json.entries;
  assert.equal(await d1.kill('SIGTERM'), 0);
  const d2 = await DaemonProcess.start(dirs);
  t.after(() => d2.kill('SIGKILL'));
  assert.deepEqual((await d2.req('GET', `/v1/maps/${hits}/entries`)).json.entries, before);
});
