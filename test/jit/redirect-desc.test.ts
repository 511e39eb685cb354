/**
 * The redirect fields of the frame descriptor (arena-layout.ts Desc.REDIRECT_*: the kernel's bpf_redirect_info
 * as __bpf_xdp_redirect_map leaves it) written identically by the interpreter and the JIT, each through the
 * data plane's processor (runtime-processor.ts): a program calls bpf_redirect_map with the index and flags the
 * frame's first two bytes give, on a DEVMAP and a DEVMAP_HASH (known maps: both lowered in wasm, the hash
 * one walking bucket chains: jit/lower-devmap-hash.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { Runtime } from '../../src/vm/runtime/runtime.js';
import { createProcessor } from '../../src/dataplane/runtime-processor.js';
import {
  BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, DESC_SIZE, Desc, FRAME_SLOT_SIZE, RedirectKind, XDP_PACKET_HEADROOM,
} from '../../src/vm/arena-layout.js';
import { MapType } from '../../src/ebpf/object-spec.js';
import { XdpAction } from '../../src/ebpf/opcodes.js';
import { mapSpec, objectSpec, program } from '../vm/runtime/fixtures.js';

const redirectBy = (map: string): string => `
  ldxw %r6, [%r1+0]
  ldxw %r7, [%r1+4]
  mov %r8, %r6
  add %r8, 2
  jgt %r8, %r7, out
  ldxb %r2, [%r6+0]
  ldxb %r3, [%r6+1]
  lddw %r1, map:${map}
  call 51
  exit
out:
  mov %r0, 2
  exit
`;

/** [index, flags] per frame: found, empty, broadcast with and without exclude, exclude alone, a bad flag. */
const CASES: readonly (readonly [number, number])[] = [
  [0, 0], [1, 0], [7, 2], [3, BPF_F_BROADCAST], [3, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS],
  [7, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS | 1], [0, BPF_F_EXCLUDE_INGRESS], [0, 1 << 5],
];

const le32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);

async function runEngine(engine: 'interp' | 'jit', mapName: string, cases: readonly (readonly [number, number])[] = CASES, extraKeys: readonly number[] = []): Promise<{ fields: number[][]; values: Map<number, number> }> {
  const arena = Arena.create({ maxBytes: 32 << 20, cpus: 1 });
  const maps = [
    mapSpec('devs', MapType.DEVMAP, 4, 8, 8),
    mapSpec('devs_hash', MapType.DEVMAP_HASH, 4, 8, 8),
  ];
  const rt = Runtime.load(arena, objectSpec([program('prog', redirectBy(mapName), maps)], maps));
  for (const name of ['devs', 'devs_hash']) {
    const m = rt.maps.get(name)!;
    assert.equal(m.write(le32(0), [new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0])], 0), 0);
    assert.equal(m.write(le32(3), [new Uint8Array([6, 0, 0, 0, 0, 0, 0, 0])], 0), 0);
  }
  const hash = rt.maps.get('devs_hash')!;
  for (const k of extraKeys) assert.equal(hash.write(le32(k), [new Uint8Array([k & 0xff, 0, 0, 0, 0, 0, 0, 0])], 0), 0);
  const proc = await createProcessor(arena.memory, { runtime: rt.describe(), entry: 'prog', engine, harden: false, seed: 1 }, 0);
  const n = cases.length;
  const descs = arena.alloc(n * DESC_SIZE, 'descs');
  const slots = arena.alloc(n * FRAME_SLOT_SIZE, 'slots');
  const u32 = arena.u32;
  cases.forEach(([index, flags], i) => {
    const d = descs + i * DESC_SIZE;
    const data = slots + i * FRAME_SLOT_SIZE + XDP_PACKET_HEADROOM;
    arena.u8.set([index, flags, ...new Array<number>(62).fill(0)], data);
    u32.fill(0, d >>> 2, (d + DESC_SIZE) >>> 2);
    u32[(d + Desc.DATA) >>> 2] = data;
    u32[(d + Desc.DATA_META) >>> 2] = data;
    u32[(d + Desc.DATA_END) >>> 2] = data + 64;
    u32[(d + Desc.SLOT) >>> 2] = slots + i * FRAME_SLOT_SIZE;
    u32[(d + Desc.INGRESS_IFINDEX) >>> 2] = 5;
    // Stale redirect fields a previous frame left: only an XDP_REDIRECT frame's fields are rewritten.
    for (const off of [Desc.REDIRECT_MAP, Desc.REDIRECT_VALUE, Desc.REDIRECT_FLAGS]) u32[(d + off) >>> 2] = 0xeeee;
  });
  proc.runBatch(0, descs, n, null);
  const m = rt.maps.get(mapName)!;
  const values = new Map<number, number>([[m.addr, -1], [m.lookup(le32(0), 0), 0], [m.lookup(le32(3), 0), 3]]);
  const fields = cases.map((_, i) => [Desc.ACTION, Desc.REDIRECT_KIND, Desc.REDIRECT_TARGET, Desc.REDIRECT_MAP, Desc.REDIRECT_VALUE, Desc.REDIRECT_FLAGS]
    .map((off) => u32[(descs + i * DESC_SIZE + off) >>> 2]!)
    // Addresses differ between arenas: name them (map → -1, slot k's value → k) so both engines compare.
    .map((v, k) => (k >= 3 && k <= 4 && values.has(v) ? -100 + values.get(v)! : v)));
  return { fields, values };
}

for (const mapName of ['devs', 'devs_hash']) {
  test(`bpf_redirect_map on ${mapName}: both engines leave the same redirect map, value and flags in the descriptor`, async () => {
    const interp = await runEngine('interp', mapName);
    const jit = await runEngine('jit', mapName);
    assert.deepEqual(jit.fields, interp.fields);
    const MAP = -101, SLOT0 = -100, SLOT3 = -97;
    const R = XdpAction.REDIRECT;
    assert.deepEqual(interp.fields, [
      [R, RedirectKind.IFINDEX, 5, MAP, SLOT0, 0],
      [XdpAction.ABORTED, 0, 0, 0xeeee, 0xeeee, 0xeeee], // empty slot: flags' action 0
      [XdpAction.PASS, 0, 0, 0xeeee, 0xeeee, 0xeeee],
      [R, RedirectKind.BROADCAST, 0, MAP, SLOT3, BPF_F_BROADCAST],
      [R, RedirectKind.BROADCAST, 0, MAP, SLOT3, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS],
      // The slot is empty: under BROADCAST it does not matter, tgt_value is NULL and the flags kept whole.
      [R, RedirectKind.BROADCAST, 0, MAP, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS | 1],
      // EXCLUDE_INGRESS without BROADCAST: a plain redirect, ri->flags = 0; a flag outside the mask → ABORTED.
      [R, RedirectKind.IFINDEX, 5, MAP, SLOT0, 0],
      [XdpAction.ABORTED, 0, 0, 0xeeee, 0xeeee, 0xeeee],
    ]);
  });
}

test('bpf_redirect_map on a full DEVMAP_HASH: every key found through its bucket chain, absent ones empty, in both engines', async () => {
  // 8 entries in 8 buckets: some chains hold several entries; keys 200..203 are absent (XDP_PASS).
  const extra = [9, 17, 130, 255, 64, 77];
  const cases = [0, 3, ...extra, 200, 201, 202, 203].map((k) => [k, 2] as const);
  const interp = await runEngine('interp', 'devs_hash', cases, extra);
  const jit = await runEngine('jit', 'devs_hash', cases, extra);
  assert.deepEqual(jit.fields, interp.fields);
  const targets = interp.fields.map((f) => (f[0] === XdpAction.REDIRECT ? f[2] : -1));
  assert.deepEqual(targets, [5, 6, ...extra, -1, -1, -1, -1]);
});
