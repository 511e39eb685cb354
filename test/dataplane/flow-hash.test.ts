import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rssHash, queueForHash } from '../../src/dataplane/flow-hash.js';
import { udpFrame } from './frames.js';

test('Toeplitz RSS hash matches the Microsoft RSS verification suite (IPv4 with ports)', () => {
  // Microsoft "Verifying the RSS Hash Calculation": 66.9.149.187:2794 → 161.142.100.80:1766 = 0x51ccc178.
  const f = udpFrame(2794);
  f.set([66, 9, 149, 187, 161, 142, 100, 80], 26);
  f.set([2794 >> 8, 2794 & 0xff, 1766 >> 8, 1766 & 0xff], 34);
  f[23] = 6;
  assert.equal(rssHash(f), 0x51ccc178);
});

test('one flow always maps to one queue; non-IP frames hash to 0', () => {
  const a = rssHash(udpFrame(40000)), b = rssHash(udpFrame(40000));
  assert.equal(a, b);
  assert.equal(queueForHash(a, 4), queueForHash(b, 4));
  const arp = udpFrame(1);
  arp.set([0x08, 0x06], 12);
  assert.equal(rssHash(arp), 0);
  assert.equal(rssHash(new Uint8Array(10)), 0);
});
