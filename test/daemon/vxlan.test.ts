import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { decapsulate, encapsulate } from '../../src/dataplane/vxlan.js';
import { DaemonProcess, makeDirs, removeDirs } from './daemon-process.js';

function checksum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Ethernet + IPv4 + ICMP echo request (type 8) with valid checksums. */
function echoRequest(): Uint8Array {
  const f = new Uint8Array(14 + 20 + 16);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00], 0);
  f.set([0x45, 0, 0, 36, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  const ipc = checksum(f.subarray(14, 34));
  f[24] = ipc >> 8; f[25] = ipc & 0xff;
  f.set([8, 0, 0, 0, 0x12, 0x34, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8], 34);
  const c = checksum(f.subarray(34));
  f[36] = c >> 8; f[37] = c & 0xff;
  return f;
}

function udpFrame(): Uint8Array {
  const f = new Uint8Array(60);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00], 0);
  f.set([0x45, 0, 0, 46, 0, 2, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  f.set([0x30, 0x39, 0x00, 0x35, 0, 26, 0, 0], 34);
  return f;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('a vxlan interface decapsulates what it receives, runs the program and encapsulates XDP_TX back to the remote; PASS is captured to pcap', async (t) => {
  const dirs = await makeDirs();
  const d = await DaemonProcess.start(dirs);
  t.after(async () => { await d.kill('SIGKILL'); await removeDirs(dirs); });
  const peer = dgram.createSocket('udp4');
  await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
  t.after(() => peer.close());
  const listen = await freeUdpPort();

  const made = await d.req('POST', '/v1/interfaces', {
    name: 'vx0', kind: 'vxlan', vni: 42, listen: `127.0.0.1:${listen}`, remote: `127.0.0.1:${peer.address().port}`,
    capture: { pass: 'vx0-pass.pcap' },
  });
  assert.equal(made.status, 201, made.text);
  assert.equal((await d.req('POST', '/v1/interfaces', { name: 'vx1', kind: 'vxlan', vni: 1, listen: `127.0.0.1:${listen}`, remote: '127.0.0.1:9' })).status, 409);
  const p = await d.req('POST', '/v1/programs', { path: 'icmp_echo.o' });
  assert.equal(p.status, 201, p.text);
  assert.equal((await d.req('PUT', '/v1/interfaces/vx0/xdp', { program: p.json.id })).status, 200);

  const reply = new Promise<Buffer>((r) => peer.once('message', r));
  peer.send(encapsulate(42, echoRequest()), listen, '127.0.0.1');
  peer.send(encapsulate(42, udpFrame()), listen, '127.0.0.1');
  peer.send(encapsulate(7, udpFrame()), listen, '127.0.0.1'); // another VNI: not ours
  const back = decapsulate(await reply);
  assert.equal(back.vni, 42);
  assert.equal(back.frame[34], 0, 'ICMP echo reply');
  assert.deepEqual([...back.frame.subarray(26, 30)], [10, 0, 0, 2], 'addresses swapped');

  for (let i = 0; i < 100; i++) {
    const ifs = (await d.req('GET', '/v1/interfaces')).json;
    if (ifs[0].counters.passPackets >= 1) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const vx = (await d.req('GET', '/v1/interfaces')).json[0];
  assert.equal(vx.counters.rxPackets, 2);
  assert.equal(vx.counters.txPackets, 1);
  assert.equal(vx.counters.passPackets, 1);
  assert.equal(await d.metricSum('xdpjit_packets_total', { interface: 'vx0', action: 'tx' }), 1);
  assert.equal(await d.metricSum('xdpjit_packets_total', { interface: 'vx0', action: 'pass' }), 1);

  assert.equal(await d.kill('SIGTERM'), 0);
  const dump = execFileSync('tcpdump', ['-r', join(dirs.pcaps, 'vx0-pass.pcap'), '-nn'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  assert.match(dump, /10\.0\.0\.1\.12345 > 10\.0\.0\.2\.53: /);
  assert.equal(dump.trim().split('\n').length, 1);
});
