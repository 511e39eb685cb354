import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  compareRuns,
  describeMismatch,
  encodeClassicPcap,
  policyFor,
  type ComparePolicy,
  type EngineFrameLine,
  type KernelFrameResult,
  type KernelMapInfo,
  type KernelRunResult,
  type MapDumpLine,
} from '../../src/oracle/index.js';
import { readCapture } from '../../src/dataplane/capture/index.js';

const sha1 = (hex: string): string => createHash('sha1').update(Buffer.from(hex, 'hex')).digest('hex');
const kf = (i: number, action: string, hex: string): KernelFrameResult => ({ i, action, len: hex.length / 2, sha1: sha1(hex), hex });
const ef = (i: number, action: string, hex: string): EngineFrameLine => ({ i, action, len: hex.length / 2, sha1: sha1(hex) });
const ALL: ComparePolicy = { frames: true, mapValues: true, notes: [] };
const PROGRAM = { name: 'p', section: 'xdp', frags: false, insns: 10, helpers: [1] };

function kernelRun(frames: KernelFrameResult[], maps: MapDumpLine[] = [], mapInfo: KernelMapInfo[] = [], skipped: number[] = []): KernelRunResult {
  return { frames, maps, mapInfo, skipped, skipReasons: skipped.map((i) => ({ i, reason: 'short' })), program: PROGRAM, lruFullAfter: {}, events: [] };
}
const map = (name: string, type: string, maxEntries = 8, flags = 0): KernelMapInfo => ({ name, type, keySize: 4, valueSize: 8, maxEntries, flags });

test('identical runs compare clean, counting frames and entries', () => {
  const frames = [kf(0, 'XDP_PASS', 'aabb'), kf(1, 'XDP_DROP', 'ccdd')];
  const maps = [{ map: 'm', key: '00000000', value: '01' }];
  const r = compareRuns({
    kernel: kernelRun(frames, maps, [map('m', 'array')]),
    xdpjit: { events: [], frames: [ef(0, 'XDP_PASS', 'aabb'), ef(1, 'XDP_DROP', 'ccdd')], maps },
    inputLengths: [2, 2],
    policy: ALL,
    possibleCpus: 2,
  });
  assert.deepEqual([r.framesCompared, r.mapEntriesCompared, r.mismatches.length], [2, 1, 0]);
});

test('action, length and bytes mismatches; bytes located from the --out capture; DROP bytes ignored', () => {
  const r = compareRuns({
    kernel: kernelRun([kf(0, 'XDP_PASS', '0011'), kf(1, 'XDP_TX', '0011'), kf(2, 'XDP_TX', '001122'), kf(3, 'XDP_DROP', 'ffff'), kf(4, 'XDP_TX', '0011')]),
    xdpjit: {
      events: [],
      frames: [ef(0, 'XDP_DROP', '0011'), ef(1, 'XDP_TX', '0099'), ef(2, 'XDP_TX', '0011'), ef(3, 'XDP_DROP', '0000'), ef(4, 'XDP_TX', '0012')],
      // frames 1, 2 and 4 left; frame 0 was dropped by xdpjit, so it is not in the capture
      leftBytes: [Buffer.from('0099', 'hex'), Buffer.from('0011', 'hex'), Buffer.from('0012', 'hex')],
      maps: [],
    },
    inputLengths: [2, 2, 3, 2, 2],
    policy: ALL,
    possibleCpus: 2,
  });
  assert.deepEqual(
    r.mismatches.map((m) => (m.kind === 'frame' ? [m.i, m.what, m.byteOffset] : [])),
    [[0, 'action', undefined], [1, 'bytes', 1], [2, 'len', undefined], [4, 'bytes', 1]],
  );
  assert.match(describeMismatch(r.mismatches[1]!), /frame 1: bytes differs \(first differing byte at offset 1\).*0x11.*0x99/);
});

test('an engine output without the metadata test_run copies out is named as such', () => {
  const kernel = { ...kf(0, 'XDP_PASS', '0102aabbcc'), metaLen: 2 };
  const r = compareRuns({ kernel: kernelRun([kernel]), xdpjit: { events: [], frames: [ef(0, 'XDP_PASS', 'aabbcc')], maps: [] }, inputLengths: [3], policy: ALL, possibleCpus: 2 });
  assert.match(describeMismatch(r.mismatches[0]!), /len differs.*3 \(the frame without the 2 bytes of XDP metadata/);
});

test('ring buffer and perf records: order, kind, map and data per frame', () => {
  const ev = (i: number, event: 'ringbuf' | 'perf', data: string) => ({ event, i, cpu: 0, map: event === 'perf' ? 'p' : 'rb', data });
  const r = compareRuns({
    kernel: { ...kernelRun([kf(0, 'XDP_PASS', 'aa'), kf(1, 'XDP_PASS', 'aa'), kf(2, 'XDP_PASS', 'aa')]), events: [{ ...ev(1, 'ringbuf', '01'), event: 'ringbuf' }, { ...ev(2, 'ringbuf', '01'), event: 'ringbuf' }] },
    xdpjit: { frames: [ef(0, 'XDP_PASS', 'aa'), ef(1, 'XDP_PASS', 'aa'), ef(2, 'XDP_PASS', 'aa')], maps: [], events: [ev(0, 'perf', '0102'), ev(1, 'ringbuf', '01'), ev(2, 'ringbuf', '02')] },
    inputLengths: [20, 20, 20],
    policy: ALL,
    possibleCpus: 2,
  });
  assert.deepEqual(r.mismatches.map((m) => (m.kind === 'frame' ? [m.i, m.what] : [])), [[0, 'events'], [2, 'events']]);
  assert.match(describeMismatch(r.mismatches[1]!), /record 0: ringbuf rb cpu0 01 \| xdpjit record 0: ringbuf rb cpu0 02/);
});

test('short frames the kernel refused, and bytes of frames over 3520, are not compared; a missing or failed frame is', () => {
  const big = 'ab'.repeat(4000);
  const r = compareRuns({
    kernel: kernelRun([kf(1, 'XDP_PASS', big), kf(2, 'XDP_PASS', 'aa'.repeat(20))], [], [], [0]),
    xdpjit: { events: [], frames: [ef(0, 'XDP_DROP', '00'), ef(1, 'XDP_PASS', 'cd'.repeat(4000)), { ...ef(2, 'XDP_ABORTED', ''), error: 'out of bounds' }], maps: [] },
    inputLengths: [5, 4000, 20, 60],
    policy: ALL,
    possibleCpus: 2,
  });
  assert.deepEqual(r.mismatches.map((m) => (m.kind === 'frame' ? [m.i, m.what] : [])), [[2, 'error'], [3, 'missing']]);
  assert.equal(r.framesCompared, 1);
  assert.ok(r.notes.some((n) => /over 3520/.test(n)));
});

test('maps: per-CPU slots, missing and extra keys, empty fd slots, unknown maps', () => {
  const kernelMaps: MapDumpLine[] = [
    { map: 'a', key: '00000000', value: '0100' },
    { map: 'h', key: '01', value: '02' },
    { map: 'pc', key: '00000000', values: ['05', '00'] },
    { map: 'prog', key: '00000000', value: '@t' },
  ];
  const r = compareRuns({
    kernel: kernelRun([], kernelMaps, [map('a', 'array'), map('h', 'hash'), map('pc', 'percpu_array'), map('prog', 'prog_array'), map('rb', 'ringbuf')]),
    xdpjit: {
      events: [],
      frames: [],
      maps: [
        { map: 'a', key: '00000000', value: '0100' },
        { map: 'h', key: '02', value: '02' },
        { map: 'pc', key: '00000000', values: ['05', '01', '00', '00'] },
        { map: 'prog', key: '00000000', value: '@t' },
        { map: 'prog', key: '01000000', value: '' },
        { map: 'ghost', key: '00', value: '00' },
      ],
    },
    inputLengths: [],
    policy: ALL,
    possibleCpus: 2,
  });
  assert.deepEqual(
    r.mismatches.map((m) => (m.kind === 'map' ? [m.map, m.key, m.what, m.cpu] : [])),
    [['ghost', undefined, 'unknown-map', undefined], ['h', '01', 'only-in-kernel', undefined], ['h', '02', 'only-in-xdpjit', undefined], ['pc', '00000000', 'value', 1]],
  );
});

test('LRU maps at capacity are not compared; below capacity they are', () => {
  const lru = (n: number): MapDumpLine[] => Array.from({ length: n }, (_, k) => ({ map: 'l', key: k.toString(16).padStart(2, '0'), value: '01' }));
  const run = (kernelEntries: number, engineEntries: number, flags = 0) =>
    compareRuns({
      kernel: kernelRun([], lru(kernelEntries), [map('l', 'lru_hash', 4, flags)]),
      xdpjit: { events: [], frames: [], maps: lru(engineEntries) },
      inputLengths: [],
      policy: ALL,
      possibleCpus: 2,
    });
  assert.equal(run(4, 3).mismatches.length, 0);
  assert.equal(run(3, 2).mismatches.length, 1);
  assert.equal(run(2, 1, 2).mismatches.length, 0, 'BPF_F_NO_COMMON_LRU: capacity is max_entries / CPUs');
});

test('once the kernel LRU is full, later frames and all map values are left out', () => {
  const r = compareRuns({
    kernel: { ...kernelRun([kf(0, 'XDP_PASS', 'aa'), kf(1, 'XDP_PASS', 'aa'), kf(2, 'XDP_DROP', 'aa')], [{ map: 'c', key: '00', value: '01' }], [map('l', 'lru_hash'), map('c', 'hash')]), lruFullAfter: { l: 0 } },
    xdpjit: { events: [], frames: [ef(0, 'XDP_DROP', 'aa'), ef(1, 'XDP_PASS', 'aa'), ef(2, 'XDP_PASS', 'aa')], maps: [{ map: 'c', key: '00', value: '02' }] },
    inputLengths: [20, 20, 20],
    policy: ALL,
    possibleCpus: 2,
  });
  assert.deepEqual(r.mismatches.map((m) => (m.kind === 'frame' ? m.i : m.map)), [0]);
  assert.ok(r.notes.some((n) => /l \(LRU\) full after frame 0/.test(n)));
});

test('policy: time, random and host helpers, and randomly seeded Bloom filters, leave frames and map values out; overrides put them back', () => {
  assert.deepEqual([policyFor(PROGRAM).frames, policyFor(PROGRAM).mapValues], [true, true]);
  const timed = policyFor({ ...PROGRAM, helpers: [1, 5] });
  assert.deepEqual([timed.frames, timed.mapValues], [false, false]);
  assert.match(timed.notes[0] ?? '', /ktime_get_ns/);
  assert.equal(policyFor({ ...PROGRAM, helpers: [69] }).frames, false);
  assert.equal(policyFor({ ...PROGRAM, helpers: [7] }).frames, false);
  assert.equal(policyFor(PROGRAM, {}, [map('bf', 'bloom_filter')]).frames, false, 'a Bloom filter with a random seed');
  assert.equal(policyFor(PROGRAM, {}, [map('bf', 'bloom_filter', 8, 1 << 6)]).frames, true, 'BPF_F_ZERO_SEED');
  const over = policyFor({ ...PROGRAM, helpers: [5] }, { p: { frames: true } });
  assert.deepEqual([over.frames, over.mapValues], [true, false]);

  const r = compareRuns({
    kernel: kernelRun([kf(0, 'XDP_PASS', 'aa')], [{ map: 'm', key: '00', value: '01' }], [map('m', 'hash')]),
    xdpjit: { events: [], frames: [ef(0, 'XDP_DROP', 'aa')], maps: [{ map: 'm', key: '00', value: '02' }] },
    inputLengths: [20],
    policy: timed,
    possibleCpus: 2,
  });
  assert.deepEqual(r.mismatches, []);
});

test('encodeClassicPcap: the capture module reads the frames back', () => {
  const frames = [Uint8Array.from([1, 2, 3]), new Uint8Array(0), new Uint8Array(70).fill(9)];
  const decoded = readCapture(encodeClassicPcap(frames));
  assert.equal(decoded.linkType, 1);
  assert.deepEqual(decoded.frames.map((f) => Array.from(f.data)), frames.map((f) => Array.from(f)));
});
