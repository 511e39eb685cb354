/**
 * src/dataplane/devmap-delivery.ts: the egress devices a DEVMAP / DEVMAP_HASH redirect resolves to
 * (dev_map_enqueue / dev_map_enqueue_multi: single target, broadcast, BPF_F_EXCLUDE_INGRESS, is_valid_dst),
 * and devmap programs run on real workers (both engines) with the kernel's treatment of their verdicts
 * (dev_map_bpf_prog_run) and egress_ifindex set to the entry's device.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, DESC_SIZE, Desc, RedirectKind } from '../../src/vm/arena-layout.js';
import { MapType } from '../../src/ebpf/object-spec.js';
import { XdpAction } from '../../src/ebpf/opcodes.js';
import { createMap } from '../../src/vm/maps/registry.js';
import type { BpfMap } from '../../src/vm/maps/bpf-map.js';
import { Runtime } from '../../src/vm/runtime/runtime.js';
import { CpuPool } from '../../src/dataplane/cpu-pool.js';
import { RegionAllocator } from '../../src/dataplane/region-allocator.js';
import { ACTION_LABELS, type RedirectErrorReason } from '../../src/dataplane/counters.js';
import {
  DevmapDelivery, devmapTargets, devmapVerdict, type DevmapPort, type RedirectRecord,
} from '../../src/dataplane/devmap-delivery.js';
import type { RuntimeProcessorSpec } from '../../src/dataplane/runtime-processor.js';
import { objectSpec, program } from '../vm/runtime/fixtures.js';
import { udpFrame, PAYLOAD_OFFSET } from './frames.js';

const le32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);
const val = (ifindex: number, prog = 0): Uint8Array => new Uint8Array(new Uint32Array([ifindex, prog]).buffer);

function devmaps(arena: Arena): { dev: BpfMap; hash: BpfMap } {
  const dev = createMap(arena, { name: 'dev', type: MapType.DEVMAP, keySize: 4, valueSize: 8, maxEntries: 8, flags: 0 });
  const hash = createMap(arena, { name: 'dh', type: MapType.DEVMAP_HASH, keySize: 4, valueSize: 8, maxEntries: 8, flags: 0 });
  // Index 5 names ifindex 1 a second time: the kernel sends it a copy per entry.
  for (const [k, v] of [[0, val(1)], [2, val(2)], [3, val(3, 7)], [5, val(1)]] as const) {
    assert.equal(dev.write(le32(k), [v], 0), 0);
    assert.equal(hash.write(le32(100 + k), [v], 0), 0);
  }
  return { dev, hash };
}

const rec = (over: Partial<RedirectRecord>): RedirectRecord => ({ kind: RedirectKind.BROADCAST, target: 0, map: 0, value: 0, flags: BPF_F_BROADCAST, ingressIfindex: 1, ...over });
const sorted = (ts: readonly { ifindex: number; prog: number }[]): string[] => ts.map((t) => `${t.ifindex}:${t.prog}`).sort();

test('broadcast reaches every entry of a DEVMAP (index order) and a DEVMAP_HASH; EXCLUDE_INGRESS drops the ingress device', () => {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 1 });
  const { dev, hash } = devmaps(arena);
  const all = (): boolean => true;
  assert.deepEqual(devmapTargets(arena, rec({ map: dev.addr }), all), [
    { ifindex: 1, prog: 0 }, { ifindex: 2, prog: 0 }, { ifindex: 3, prog: 7 }, { ifindex: 1, prog: 0 },
  ]);
  assert.deepEqual(sorted(devmapTargets(arena, rec({ map: hash.addr }), all)!), ['1:0', '1:0', '2:0', '3:7']);
  const excl = BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;
  assert.deepEqual(devmapTargets(arena, rec({ map: dev.addr, flags: excl }), all), [{ ifindex: 2, prog: 0 }, { ifindex: 3, prog: 7 }]);
  assert.deepEqual(sorted(devmapTargets(arena, rec({ map: hash.addr, flags: excl, ingressIfindex: 3 }), all)!), ['1:0', '1:0', '2:0']);
  // is_valid_dst: a device that cannot take the frame is skipped without an error.
  assert.deepEqual(devmapTargets(arena, rec({ map: dev.addr, flags: excl }), (i) => i !== 2), [{ ifindex: 3, prog: 7 }]);
  // Emptied slots are not targets.
  assert.equal(dev.write(le32(2), [val(0)], 0), 0);
  assert.equal(hash.delete(le32(102)), 0);
  assert.deepEqual(devmapTargets(arena, rec({ map: dev.addr }), all)!.map((t) => t.ifindex), [1, 3, 1]);
  assert.deepEqual(sorted(devmapTargets(arena, rec({ map: hash.addr }), all)!), ['1:0', '1:0', '3:7']);
});

test('a single target is the slot the helper found, with its program; other redirects are not a device map\'s', () => {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 1 });
  const { dev, hash } = devmaps(arena);
  const all = (): boolean => true;
  const single = (map: BpfMap, key: number, ifindex: number): RedirectRecord =>
    rec({ kind: RedirectKind.IFINDEX, target: ifindex, map: map.addr, value: map.lookup(le32(key), 0), flags: 0 });
  assert.deepEqual(devmapTargets(arena, single(dev, 3, 3), all), [{ ifindex: 3, prog: 7 }]);
  assert.deepEqual(devmapTargets(arena, single(hash, 102, 2), all), [{ ifindex: 2, prog: 0 }]);
  // The single target is returned even when it cannot take the frame: the caller counts that error.
  assert.deepEqual(devmapTargets(arena, single(dev, 0, 1), () => false), [{ ifindex: 1, prog: 0 }]);
  assert.equal(devmapTargets(arena, rec({ kind: RedirectKind.IFINDEX, target: 4, map: 0, flags: 0 }), all), undefined, 'bpf_redirect');
  const cpumap = createMap(arena, { name: 'c', type: MapType.CPUMAP, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 });
  assert.equal(devmapTargets(arena, rec({ kind: RedirectKind.CPU, map: cpumap.addr, flags: 0 }), all), undefined);
});

test('devmap program verdicts: PASS transmits, DROP frees, everything else is an exception', () => {
  assert.equal(devmapVerdict(XdpAction.PASS), 'transmit');
  assert.equal(devmapVerdict(XdpAction.DROP), 'drop');
  for (const a of [XdpAction.ABORTED, XdpAction.TX, XdpAction.REDIRECT, 5, 0xffffffff]) assert.equal(devmapVerdict(a), 'exception', String(a));
});

/**
 * A devmap program: bpf_trace_printk("e"), then writes egress_ifindex, ingress_ifindex and rx_queue_index
 * into payload bytes 1..3 and returns payload byte 0.
 */
const DEVMAP_PROG = `
  mov %r9, %r1
  sth [%r10-8], 0x65
  mov %r1, %r10
  add %r1, -8
  mov %r2, 2
  call 6
  mov %r1, %r9
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, ${PAYLOAD_OFFSET + 4}
  jgt %r4, %r3, out
  ldxw %r5, [%r1+20]
  stxb [%r2+${PAYLOAD_OFFSET + 1}], %r5
  ldxw %r5, [%r1+12]
  stxb [%r2+${PAYLOAD_OFFSET + 2}], %r5
  ldxw %r5, [%r1+16]
  stxb [%r2+${PAYLOAD_OFFSET + 3}], %r5
  ldxb %r0, [%r2+${PAYLOAD_OFFSET}]
  exit
out:
  mov %r0, 2
  exit
`;

for (const engine of ['interp', 'jit'] as const) {
  test(`devmap programs run on the frame's CPU (${engine}): egress_ifindex is the entry's device, verdicts as the kernel`, async () => {
    const cpus = 2;
    const arena = Arena.create({ maxBytes: 64 << 20, cpus });
    const regionSize = 8 << 20;
    const region = new RegionAllocator(arena.alloc(regionSize, 'data plane'), regionSize);
    const pool = new CpuPool(arena.memory, cpus, region);
    try {
      const dev = createMap(arena, { name: 'dev', type: MapType.DEVMAP, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 });
      for (const [k, ifindex, prog] of [[0, 1, 0], [1, 2, 7], [2, 3, 7], [3, 4, 8]] as const) assert.equal(dev.write(le32(k), [val(ifindex, prog)], 0), 0);
      const prog = { ...program('to_dev', DEVMAP_PROG), section: 'xdp/devmap', kind: 'xdp/devmap' as const };
      const rt = Runtime.load(arena, objectSpec([prog]));
      const spec: RuntimeProcessorSpec = { runtime: rt.describe(), entry: 'to_dev', engine, harden: false, seed: 1 };
      const events: { type: string; data: string; program: string }[] = [];
      const delivery = new DevmapDelivery({ memory: arena.memory, cpus, pool, allocCounters: (n) => region.alloc(n), onEvent: (e) => events.push(e) });
      const token = {};
      // Id 7 is loaded; id 8 is not (a program deleted since): its copies fail with no_target.
      delivery.programs = (id) => (id === 7 ? { token, label: 'to_dev', prepare: async () => ({ module: new URL('../../src/dataplane/runtime-processor.js', import.meta.url).href, spec }) } : undefined);
      const sent: { ifindex: number; frame: Uint8Array }[] = [];
      const errors: RedirectErrorReason[] = [];
      const port: DevmapPort = {
        refuse: (ifindex) => (ifindex === 9 ? 'target_down' : null),
        transmit: (ifindex, frame) => sent.push({ ifindex, frame }),
        error: (reason) => errors.push(reason),
      };
      const desc = arena.alloc(DESC_SIZE, 'desc');
      const u32 = arena.u32;
      const redirectDesc = (kind: number, target: number, value: number, flags: number, ingress: number): void => {
        u32.fill(0, desc >>> 2, (desc + DESC_SIZE) >>> 2);
        for (const [off, v] of [[Desc.REDIRECT_KIND, kind], [Desc.REDIRECT_TARGET, target], [Desc.REDIRECT_MAP, dev.addr],
          [Desc.REDIRECT_VALUE, value], [Desc.REDIRECT_FLAGS, flags], [Desc.INGRESS_IFINDEX, ingress]] as const) u32[(desc + off) >>> 2] = v;
      };
      const CPU = 1;
      // Broadcast from ifindex 1, excluding it: devices 2 and 3 run program 7, device 4 names program 8.
      const verdicts = [XdpAction.PASS, XdpAction.DROP, XdpAction.ABORTED, XdpAction.TX, XdpAction.REDIRECT, 9];
      for (const v of verdicts) {
        redirectDesc(RedirectKind.BROADCAST, 0, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS, 1);
        assert.equal(delivery.redirect(CPU, desc, udpFrame(1000, [v]), port), true);
      }
      // A single target with a program, and one whose device refuses the frame.
      redirectDesc(RedirectKind.IFINDEX, 2, dev.lookup(le32(1), 0), 0, 5);
      assert.equal(delivery.redirect(CPU, desc, udpFrame(1001, [XdpAction.PASS]), port), true);
      redirectDesc(RedirectKind.IFINDEX, 9, dev.lookup(le32(1), 0), 0, 5);
      assert.equal(delivery.redirect(CPU, desc, udpFrame(1002, [XdpAction.PASS]), port), true);
      assert.equal(sent.length, 0, 'programmed copies wait for the end of the delivery');
      assert.deepEqual(errors, ['target_down']);
      await delivery.settled();

      // PASS copies leave with what the program wrote: egress ifindex, ingress ifindex, rx_queue_index 0.
      const got = sent.map((s) => [s.ifindex, ...s.frame.subarray(PAYLOAD_OFFSET, PAYLOAD_OFFSET + 4)]).sort();
      assert.deepEqual(got, [[2, XdpAction.PASS, 2, 1, 0], [2, XdpAction.PASS, 2, 5, 0], [3, XdpAction.PASS, 3, 1, 0]]);
      assert.deepEqual(errors, ['target_down', ...new Array<RedirectErrorReason>(verdicts.length).fill('no_target')]);
      const rows = delivery.counterRows();
      const on = (ifindex: number, field: 'packets', action: string): number =>
        rows.filter((r) => r.ifindex === ifindex && r.cpu === CPU).reduce((s, r) => s + r[field][ACTION_LABELS.indexOf(action as 'pass')]!, 0);
      assert.equal(on(2, 'packets', 'pass'), 2);
      assert.equal(on(3, 'packets', 'drop'), 1);
      assert.equal(on(3, 'packets', 'unknown'), 1);
      // ABORTED, TX, REDIRECT and 9 on each of devices 2 and 3; nothing ran on the other CPU.
      assert.equal(rows.filter((r) => r.cpu === CPU).reduce((s, r) => s + r.exceptions, 0), 8);
      assert.equal(rows.filter((r) => r.cpu !== CPU).reduce((s, r) => s + r.packets.reduce((a, b) => a + b, 0), 0), 0);
      assert.ok(rows.every((r) => r.program === 'to_dev'));
      // Its trace_printk lines reach the event sink, one per copy it ran on (6 broadcasts × 2 devices + 1).
      assert.deepEqual(events.map((e) => [e.type, e.data.trim(), e.program]), new Array(13).fill(['trace', 'e', 'to_dev']));
    } finally {
      await pool.close();
    }
  });
}
