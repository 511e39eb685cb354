import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MapType } from '../../../src/ebpf/object-spec.js';
import { UnsupportedFeatureError } from '../../../src/ebpf/loader-errors.js';
import { Arena } from '../../../src/vm/arena.js';
import { Runtime } from '../../../src/vm/runtime/runtime.js';
import { runCapture } from '../../../src/vm/runtime/run-capture.js';
import { VerifierError } from '../../../src/verifier/index.js';
import { parseMapsText } from '../../../src/vm/maps-file.js';
import { frame, globalData, mapSpec, objectSpec, program } from './fixtures.js';

const sha1 = (b: Uint8Array): string => createHash('sha1').update(b).digest('hex');

// Counts frames per first byte in a HASH (lookup, insert on miss, atomic add), drops when the count
// reaches .rodata's limit (u32 at offset 0).
const counts = mapSpec('counts', MapType.HASH, 4, 8, 16);
const rodata = globalData('.rodata', Uint8Array.of(3, 0, 0, 0));
const COUNTER = `
  mov %r6, %r1
  ldxw %r2, [%r6+0]        # data
  ldxw %r3, [%r6+4]        # data_end
  mov %r4, %r2
  add %r4, 1
  jgt %r4, %r3, pass
  ldxb %r7, [%r2+0]
  stxw [%r10-4], %r7
  stdw [%r10-16], 1
  lddw %r1, map:counts
  mov %r2, %r10
  add %r2, -4
  call 1
  jne %r0, 0, have
  lddw %r1, map:counts
  mov %r2, %r10
  add %r2, -4
  mov %r3, %r10
  add %r3, -16
  mov %r4, 0
  call 2
  mov %r0, 2
  exit
have:
  mov %r1, 1
  lock add [%r0+0], %r1
  ldxdw %r1, [%r0+0]
  lddw %r2, mapvalue:.rodata+0
  ldxw %r2, [%r2+0]
  jge %r1, %r2, drop
pass:
  mov %r0, 2
  exit
drop:
  mov %r0, 1
  exit
`;

test('loaded programs reach their maps and global data; frames run in order with per-frame records', async () => {
  const spec = objectSpec([program('counter', COUNTER, [counts, rodata])], [counts, rodata]);
  const frames = [0, 0, 0, 0, 1, 0].map((b) => ({ data: frame(20, (i) => (i === 0 ? b : i)), tsNs: 0n }));
  const r = await runCapture(spec, frames, { cpus: 2 });
  assert.deepEqual(r.frames.map((f) => f.action), ['XDP_PASS', 'XDP_PASS', 'XDP_DROP', 'XDP_DROP', 'XDP_PASS', 'XDP_DROP']);
  assert.deepEqual(r.frames[0], { i: 0, action: 'XDP_PASS', len: 20, sha1: sha1(frames[0]!.data) });
  assert.deepEqual(r.maps, [
    { map: '.rodata', key: '00000000', value: '03000000' },
    { map: 'counts', key: '00000000', value: '0500000000000000' },
    { map: 'counts', key: '01000000', value: '0100000000000000' },
  ]);
});

test('.rodata lines apply before load, other lines after; both change what the program does', async () => {
  const spec = objectSpec([program('counter', COUNTER, [counts, rodata])], [counts, rodata]);
  const lines = parseMapsText('# limit 10\n.rodata 00000000 0a000000\ncounts 00000000 0800000000000000\n', 'fill.maps');
  const r = await runCapture(spec, [0, 0, 0].map(() => ({ data: frame(20, () => 0), tsNs: 0n })), { mapLines: lines });
  assert.deepEqual(r.frames.map((f) => f.action), ['XDP_PASS', 'XDP_DROP', 'XDP_DROP']);
  assert.equal(r.maps.find((m) => m.map === 'counts')!.key, '00000000');
});

test('the verifier refuses an out-of-bounds read; unverified, checked mode faults that frame only and the run continues', async () => {
  const prog = program('oob', `
    ldxw %r2, [%r1+0]
    ldxb %r3, [%r2+100]      # unchecked: past data_end for short frames
    mov %r0, 2
    exit`);
  const frames = [frame(64), frame(200), frame(10)].map((data) => ({ data, tsNs: 0n }));
  await assert.rejects(runCapture(objectSpec([prog]), frames), VerifierError, 'verified runs refuse it up front');
  const r = await runCapture(objectSpec([prog]), frames, { verify: false });
  assert.match(r.frames[0]!.error!, /oob: insn 1: read of 1 bytes at 0x[0-9a-f]+ outside/);
  assert.equal(r.frames[0]!.action, 'XDP_ABORTED');
  assert.deepEqual(r.frames[1], { i: 1, action: 'XDP_PASS', len: 200, sha1: sha1(frame(200)) });
  assert.ok(r.frames[2]!.error);
});

test('writes to the ctx and to .rodata fault; frames under 14 bytes run; unknown actions are named', async () => {
  const ctxWrite = program('ctxw', 'stw [%r1+0], 0\nmov %r0, 2\nexit');
  const roWrite = program('row', 'lddw %r2, mapvalue:.rodata+0\nstw [%r2+0], 1\nmov %r0, 2\nexit', [rodata]);
  const seven = program('seven', 'mov %r0, 7\nexit');
  const f = [{ data: frame(3), tsNs: 0n }];
  const unverified = { verify: false } as const;
  assert.match((await runCapture(objectSpec([ctxWrite]), f, unverified)).frames[0]!.error!, /read-only ctx/);
  assert.match((await runCapture(objectSpec([roWrite], [rodata]), f, unverified)).frames[0]!.error!, /read-only map '.rodata'/);
  assert.deepEqual((await runCapture(objectSpec([seven]), f)).frames[0], { i: 0, action: 'UNKNOWN(7)', len: 3, sha1: sha1(frame(3)) });
});

test('an unimplemented helper or map type refuses the load, naming it', () => {
  const arena = Arena.create({ maxBytes: 8 << 20 });
  assert.throws(() => Runtime.load(arena, objectSpec([program('p', 'call 209\nexit')])),
    (e: unknown) => e instanceof UnsupportedFeatureError && /helper #209 \(helper 209\) is not supported/.test(e.message));
  assert.throws(() => Runtime.load(arena, objectSpec([], [mapSpec('a', MapType.ARENA, 0, 0, 1)])),
    (e: unknown) => e instanceof UnsupportedFeatureError && /BPF_MAP_TYPE_ARENA/.test(e.message));
});

test('a runtime rebuilt from describe() on the same memory sees the same maps and programs', () => {
  const arena = Arena.create({ maxBytes: 8 << 20 });
  const spec = objectSpec([program('counter', COUNTER, [counts, rodata])], [counts, rodata]);
  const a = Runtime.load(arena, spec);
  a.maps.get('counts')!.write(Uint8Array.of(9, 0, 0, 0), [Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)], 0);
  const desc = structuredClone(a.describe());
  const b = Runtime.attach(Arena.attach(arena.memory), desc);
  assert.deepEqual(b.maps.get('counts')!.read(Uint8Array.of(9, 0, 0, 0)), [Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)]);
  assert.deepEqual(b.programs.get('counter')!.insns, a.programs.get('counter')!.insns);
});

test('maps pinned by name are shared across objects; a mismatch or a refused load leaves the arena as it was', () => {
  const arena = Arena.create({ maxBytes: 8 << 20 });
  const pinned = new Map();
  const shared = mapSpec('shared', MapType.HASH, 4, 8, 4, { pinning: 'by_name' });
  const a = Runtime.load(arena, objectSpec([], [shared, mapSpec('own', MapType.ARRAY, 4, 4, 4)]), { pinned });
  const b = Runtime.load(arena, objectSpec([], [shared]), { pinned });
  assert.equal(a.maps.get('shared'), b.maps.get('shared'));
  const free = arena.freeBytes();
  assert.throws(() => Runtime.load(arena, objectSpec([], [mapSpec('x', MapType.ARRAY, 4, 4, 64), { ...shared, maxEntries: 5 }]), { pinned }), /pinned map exists/);
  assert.throws(() => Runtime.load(arena, objectSpec([program('p', 'call 209\nexit')], [mapSpec('y', MapType.ARRAY, 4, 4, 64)])));
  assert.equal(arena.freeBytes(), free);
  a.dispose();
  assert.ok(arena.freeBytes() > free);
  assert.equal(pinned.get('shared'), b.maps.get('shared'));
});
