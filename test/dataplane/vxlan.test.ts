import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { decapsulate, encapsulate, parseHostPort, VxlanDecodeError, VxlanEndpoint } from '../../src/dataplane/vxlan.js';
import { udpFrame } from './frames.js';

test('VXLAN header per RFC 7348 §5: I flag, 24-bit VNI, round trip', () => {
  const frame = udpFrame(7);
  const d = encapsulate(0x123456, frame);
  assert.deepEqual([...d.subarray(0, 8)], [0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0]);
  const p = decapsulate(d);
  assert.equal(p.vni, 0x123456);
  assert.deepEqual([...p.frame], [...frame]);
  d[0] = 0;
  assert.throws(() => decapsulate(d), VxlanDecodeError);
  assert.throws(() => decapsulate(new Uint8Array(10)), VxlanDecodeError);
});

test('HOST:PORT parsing accepts IPv4, names and bracketed IPv6 and refuses the rest', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:4789'), { host: '127.0.0.1', port: 4789 });
  assert.deepEqual(parseHostPort('[::1]:4789'), { host: '::1', port: 4789 });
  assert.throws(() => parseHostPort('4789'));
  assert.throws(() => parseHostPort('h:70000'));
});

test('an endpoint delivers frames of its VNI and encapsulates what it sends to the remote', async () => {
  const peer = dgram.createSocket('udp4');
  await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
  const got: Uint8Array[] = [];
  const ep = await VxlanEndpoint.open(42, { host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: peer.address().port }, (f) => got.push(f));
  try {
    const back = new Promise<Buffer>((r) => peer.once('message', r));
    ep.send(udpFrame(1));
    assert.equal(decapsulate(await back).vni, 42);
    peer.send(encapsulate(7, udpFrame(2)), ep.localPort, '127.0.0.1');
    peer.send(encapsulate(42, udpFrame(3)), ep.localPort, '127.0.0.1');
    for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(got.length, 1);
    assert.equal(got[0]![35], 3);
    assert.equal(ep.otherVni, 1);
  } finally {
    await ep.close();
    peer.close();
  }
});
