import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CaptureFormatError, LinkType, UnsupportedLinkTypeError, encodePcap, encodePcapng, readCapture, requireEthernet,
  type Capture, type CapturedFrame,
} from '../../../src/dataplane/capture/index.js';
import { readSample } from './sample-captures.js';

const usFloor = (ts: bigint) => (ts / 1000n) * 1000n;

function sameFrames(actual: readonly CapturedFrame[], expected: readonly CapturedFrame[]): void {
  assert.equal(actual.length, expected.length, 'frame count');
  actual.forEach((f, i) => {
    assert.deepEqual(f.data, expected[i]!.data, `frame ${i} bytes`);
    assert.equal(f.wireLen, expected[i]!.wireLen, `frame ${i} wire length`);
  });
}

const frames: CapturedFrame[] = [
  { data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 8, 0, 0x45), wireLen: 15, tsNs: 1_700_000_000_123_456_789n, iface: 0 },
  { data: new Uint8Array(0), wireLen: 0, tsNs: 1_700_000_001_000_000_001n, iface: 0 },
  { data: new Uint8Array(100).fill(7), wireLen: 1514, tsNs: 5n, iface: 0 },
];

describe('classic pcap round trips', () => {
  for (const precision of ['us', 'ns'] as const) {
    for (const byteOrder of ['le', 'be'] as const) {
      it(`${precision} ${byteOrder}`, () => {
        const cap = readCapture(encodePcap(frames, { precision, byteOrder, linkType: LinkType.ETHERNET }));
        assert.equal(cap.linkType, LinkType.ETHERNET);
        sameFrames(cap.frames, frames);
        cap.frames.forEach((f, i) => {
          assert.equal(f.tsNs, precision === 'ns' ? frames[i]!.tsNs : usFloor(frames[i]!.tsNs));
          assert.equal(f.iface, 0);
        });
      });
    }
  }

  it('keeps the link type and cuts at the snaplen, keeping the wire length', () => {
    const cap = readCapture(encodePcap(frames, { linkType: LinkType.RAW, snaplen: 8 }));
    assert.equal(cap.linkType, LinkType.RAW);
    assert.equal(cap.interfaces[0]!.snaplen, 8);
    assert.deepEqual(cap.frames[0]!.data, frames[0]!.data.subarray(0, 8));
    assert.equal(cap.frames[0]!.wireLen, 15);
  });
});

describe('pcapng round trips', () => {
  for (const byteOrder of ['le', 'be'] as const) {
    it(`two sections, decimal and binary if_tsresol, SPB, ${byteOrder}`, () => {
      const bytes = encodePcapng([
        {
          interfaces: [{ linkType: 1, snaplen: 0 }, { linkType: 1, snaplen: 65535, name: 'eth1', tsresol: 9 }],
          packets: [
            { kind: 'epb', iface: 1, data: frames[0]!.data, tsNs: frames[0]!.tsNs },
            { kind: 'epb', iface: 0, data: frames[2]!.data, wireLen: 1514, tsNs: frames[2]!.tsNs },
            { kind: 'spb', data: frames[0]!.data },
          ],
          statistics: true,
          comment: 'first',
        },
        {
          interfaces: [{ linkType: 1, snaplen: 65535, tsresol: 0x80 | 20 }],
          packets: [{ kind: 'epb', iface: 0, data: frames[1]!.data, tsNs: 1_000_000_000n }],
        },
      ], byteOrder);
      const cap = readCapture(bytes);
      assert.equal(cap.interfaces.length, 3);
      assert.equal(cap.interfaces[1]!.name, 'eth1');
      assert.deepEqual(cap.frames.map((f) => f.iface), [1, 0, 0, 2]);
      assert.equal(cap.frames[0]!.tsNs, frames[0]!.tsNs);            // ns interface: exact
      assert.equal(cap.frames[1]!.tsNs, usFloor(frames[2]!.tsNs));   // default µs interface
      assert.equal(cap.frames[1]!.wireLen, 1514);
      assert.equal(cap.frames[2]!.tsNs, 0n);                         // SPB: no timestamp
      assert.deepEqual(cap.frames[2]!.data, frames[0]!.data);
      assert.equal(cap.frames[3]!.tsNs, 1_000_000_000n);             // 2^-20 s units, whole second is exact
      requireEthernet(cap);
    });
  }
});

describe('generated sample captures', () => {
  const mixed = readCapture(readSample('mixed.pcap'));

  it('mixed.pcap holds what the generator promises', () => {
    assert.ok(mixed.frames.length >= 300 && mixed.frames.length <= 600, `${mixed.frames.length} frames`);
    const sizes = mixed.frames.map((f) => f.data.length);
    assert.equal(Math.min(...sizes), 60);
    assert.ok(sizes.some((s) => s === 1514));
    assert.ok(sizes.filter((s) => s > 3520).length >= 3, 'jumbo frames for multi-buffer');
    const etherTypes = new Set(mixed.frames.map((f) => (f.data[12]! << 8) | f.data[13]!));
    for (const t of [0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8]) assert.ok(etherTypes.has(t), `EtherType ${t.toString(16)}`);
    for (let i = 1; i < mixed.frames.length; i++) assert.ok(mixed.frames[i]!.tsNs > mixed.frames[i - 1]!.tsNs, 'timestamps increase');
  });

  it('every variant of mixed carries the same frames', () => {
    const ns = readCapture(readSample('mixed.ns.pcap'));
    const be = readCapture(readSample('mixed.be.pcap'));
    const ng = readCapture(readSample('mixed.pcapng'));
    for (const cap of [ns, be, ng]) sameFrames(cap.frames, mixed.frames);
    ns.frames.forEach((f, i) => assert.equal(usFloor(f.tsNs), mixed.frames[i]!.tsNs, 'ns file refines the µs stamps'));
    assert.ok(ns.frames.some((f) => f.tsNs % 1000n !== 0n), 'ns file has sub-µs digits');
    be.frames.forEach((f, i) => assert.equal(f.tsNs, mixed.frames[i]!.tsNs));
    assert.equal(ng.interfaces.length, 2);
    assert.deepEqual(new Set(ng.frames.map((f) => f.iface)), new Set([0, 1]));
    ng.frames.forEach((f, i) => {
      // Interface 0 records µs, interface 1 ns: both agree with the ns pcap at their own resolution.
      assert.equal(f.tsNs, f.iface === 0 ? usFloor(ns.frames[i]!.tsNs) : ns.frames[i]!.tsNs);
    });
    requireEthernet(ng);
  });

  it('malformed variants agree, with records cut below their wire length and SPBs in the pcapng', () => {
    const mal = readCapture(readSample('malformed.pcap'));
    sameFrames(readCapture(readSample('malformed.ns.pcap')).frames, mal.frames);
    const ng = readCapture(readSample('malformed.pcapng'));
    sameFrames(ng.frames, mal.frames);
    assert.ok(ng.frames.some((f) => f.tsNs === 0n), 'some frames come from simple packet blocks');
    assert.ok(mal.frames.some((f) => f.data.length < 14));
    assert.ok(mal.frames.some((f) => f.data.length === 0));
    assert.ok(mal.frames.filter((f) => f.data.length < f.wireLen).length >= 3);
  });

  it('flood64.pcap: thousands of 64-byte UDP frames', () => {
    const flood = readCapture(readSample('flood64.pcap'));
    assert.ok(flood.frames.length >= 4000);
    assert.ok(flood.frames.every((f) => f.data.length === 64 && f.data[23] === 17));
  });

  it('non-Ethernet captures are refused with the link type named', () => {
    const raw = readCapture(readSample('raw.pcap'));
    assert.equal(raw.linkType, LinkType.RAW);
    assert.throws(() => requireEthernet(raw), (e: unknown) =>
      e instanceof UnsupportedLinkTypeError && e.linkType === 101 && e.message.includes('LINKTYPE_RAW (101)'));
    const mixedLinks: Capture = readCapture(readSample('linktypes.pcapng'));
    assert.equal(mixedLinks.linkType, LinkType.ETHERNET);
    assert.throws(() => requireEthernet(mixedLinks), (e: unknown) =>
      e instanceof UnsupportedLinkTypeError && e.iface === 1 && e.message.includes('LINKTYPE_RAW (101)'));
    requireEthernet(mixed);
  });
});

describe('format errors', () => {
  const expectFormatError = (bytes: Uint8Array, offset?: number, text?: RegExp) =>
    assert.throws(() => readCapture(bytes), (e: unknown) => {
      assert.ok(e instanceof CaptureFormatError, String(e));
      if (offset !== undefined) assert.equal(e.byteOffset, offset);
      if (text) assert.match(e.message, text);
      return true;
    });
  const good = encodePcap(frames);

  it('unknown magic, short files, bad version', () => {
    expectFormatError(new Uint8Array(0), 0, /too short/);
    expectFormatError(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 0, /unknown magic/);
    expectFormatError(good.subarray(0, 10), 10, /file header truncated/);
    const v = good.slice();
    v[4] = 3;
    expectFormatError(v, 4, /version/);
  });

  it('records: captured above wire length, oversized, truncated', () => {
    const over = good.slice();
    new DataView(over.buffer).setUint32(24 + 8, 16, true); // incl 16 > orig 15
    expectFormatError(over, 32, /exceeds its wire length/);
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(24 + 8, 0x7fffffff, true);
    expectFormatError(huge, 32, /exceeds 262144/);
    expectFormatError(good.subarray(0, 24 + 10), 24, /record header truncated/);
    expectFormatError(good.subarray(0, 24 + 16 + 3), 40, /record data truncated/);
  });

  it('pcapng: bad byte-order magic, mismatched trailer, unknown interface, no interfaces', () => {
    const ng = encodePcapng([{ interfaces: [{ linkType: 1, snaplen: 0 }], packets: [{ kind: 'epb', iface: 0, data: frames[0]!.data, tsNs: 0n }] }]);
    const magic = ng.slice();
    magic[8] = 0;
    expectFormatError(magic, 8, /byte-order magic/);
    const trailer = ng.slice();
    trailer[ng.length - 1] ^= 1;
    expectFormatError(trailer, undefined, /trailing total length/);
    const iface = ng.slice();
    const epbStart = new DataView(ng.buffer).getUint32(4, true) + 20; // SHB length + IDB (20 bytes)
    new DataView(iface.buffer).setUint32(epbStart + 8, 5, true);
    expectFormatError(iface, undefined, /interface 5/);
    expectFormatError(encodePcapng([{ interfaces: [], packets: [] }]), undefined, /no interface description/);
  });
});
