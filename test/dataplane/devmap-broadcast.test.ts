/**
 * The data plane delivering DEVMAP / DEVMAP_HASH redirects end to end (design.md §4, devmap-delivery.ts):
 * programs/devmap_flood.o's `flood` runs on an interface under the JIT; its broadcasts reach every other
 * port (veth ends and a pcap interface, seen on their transmit captures and on the veth peers), and the
 * ports whose struct bpf_devmap_val names the object's `egress_mark` devmap program leave rewritten
 * (source MAC = egress ifindex) or are dropped by it (UDP to port 9). Then the same through the daemon's
 * REST API, where a devmap value names the devmap program by the daemon's program id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Arena } from '../../src/vm/arena.js';
import { Runtime } from '../../src/vm/runtime/runtime.js';
import { parseObject } from '../../src/ebpf/loader.js';
import { Datapath } from '../../src/dataplane/datapath.js';
import type { FrameSink, NetInterface } from '../../src/dataplane/interfaces.js';
import type { RuntimeProcessorSpec } from '../../src/dataplane/runtime-processor.js';
import type { ProcessorRecipe } from '../../src/dataplane/frame-processor.js';
import { ACTION_LABELS } from '../../src/dataplane/counters.js';
import { encodeClassicPcap } from '../../src/oracle/pcap-file.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonProcess, makeDirs, removeDirs } from '../daemon/daemon-process.js';

const OBJECT = new URL('../../../programs/devmap_flood.o', import.meta.url);
const PROCESSOR = new URL('../../src/dataplane/runtime-processor.js', import.meta.url).href;
/** The daemon's id for the loaded object, as a devmap value names it (devmap-value.ts). */
const PROGRAM_ID = 7;

const le32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);
const devVal = (ifindex: number, prog = 0): Uint8Array => new Uint8Array(new Uint32Array([ifindex, prog]).buffer);

/** Ethernet frame to `dst` MAC: IPv4 UDP to `port`, or IPv6 (next header 59) to an address ending in `v6Last`. */
function frame(dst: readonly number[], l3: { udpPort: number } | { v6Last: number }): Uint8Array {
  const src = [0x02, 0, 0, 0, 0, 0x99];
  if ('udpPort' in l3) {
    const f = new Uint8Array(64);
    f.set([...dst, ...src, 0x08, 0x00], 0);
    f.set([0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
    f.set([0x30, 0x39, l3.udpPort >> 8, l3.udpPort & 0xff, 0, 30, 0, 0], 34);
    return f;
  }
  const f = new Uint8Array(64);
  f.set([...dst, ...src, 0x86, 0xdd], 0);
  f.set([0x60, 0, 0, 0, 0, 10, 59, 64], 14);
  f[14 + 8 + 16 + 15] = l3.v6Last;
  return f;
}

const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const UNICAST = [0x02, 0, 0, 0, 0, 0x01];

function capture(iface: NetInterface, side: 'txSink' | 'passSink'): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const sink: FrameSink = { write: (f) => { frames.push(f.slice()); } };
  iface[side] = sink;
  return frames;
}

test('broadcast reaches every other port; devmap programs rewrite or drop each copy on its way out', async () => {
  const cpus = 2;
  const arena = Arena.create({ maxBytes: 128 << 20, cpus });
  const regionSize = 32 << 20;
  const dp = new Datapath({ memory: arena.memory, regionBase: arena.alloc(regionSize, 'data plane'), regionSize, cpus });
  try {
    const rt = Runtime.load(arena, parseObject(readFileSync(OBJECT)));
    const recipe = (entry: string): ProcessorRecipe => {
      const spec: RuntimeProcessorSpec = { runtime: rt.describe(), entry, engine: 'jit', harden: false, seed: 0 };
      return { module: PROCESSOR, spec };
    };
    const token = {};
    dp.devmap.programs = (id) => (id === PROGRAM_ID ? { token, label: 'devmap_flood/egress_mark', prepare: async () => recipe('egress_mark') } : undefined);

    const [in0] = await dp.addInterface({ name: 'in0', kind: 'pcap' });
    const [a0, a1] = await dp.addInterface({ name: 'a0', kind: 'veth', peer: 'a1' });
    const [b0, b1] = await dp.addInterface({ name: 'b0', kind: 'veth', peer: 'b1' });
    const [p2] = await dp.addInterface({ name: 'p2', kind: 'pcap' });
    const out = { in0: capture(in0!, 'txSink'), a0: capture(a0!, 'txSink'), b0: capture(b0!, 'txSink'), p2: capture(p2!, 'txSink') };
    const peers = { a1: capture(a1!, 'passSink'), b1: capture(b1!, 'passSink') };
    // Ports: in0 plain, a0 and p2 through egress_mark, b0 plain; flood_hash: p2 (egress_mark) and in0.
    const ports = rt.maps.get('flood_ports')!;
    for (const [slot, v] of [[0, devVal(in0!.ifindex)], [1, devVal(a0!.ifindex, PROGRAM_ID)], [2, devVal(b0!.ifindex)], [3, devVal(p2!.ifindex, PROGRAM_ID)]] as const) {
      assert.equal(ports.write(le32(slot), [v], 0), 0);
    }
    const hash = rt.maps.get('flood_hash')!;
    assert.equal(hash.write(le32(0), [devVal(p2!.ifindex, PROGRAM_ID)], 0), 0);
    assert.equal(hash.write(le32(1), [devVal(in0!.ifindex)], 0), 0);
    await dp.attach('in0', [{ program: 'devmap_flood', recipe: recipe('flood'), chainCallActions: 1 << 2 }]);

    const frames = [
      frame(BROADCAST, { udpPort: 53 }), // group MAC: every port but in0
      frame(BROADCAST, { udpPort: 9 }), // the same, and egress_mark drops it on a0 and p2
      frame(UNICAST, { v6Last: 1 }), // flood_ports[1]: a0 alone, through egress_mark
      frame(UNICAST, { udpPort: 80 }), // even port: every flood_hash port, in0 included (no EXCLUDE_INGRESS)
    ];
    await dp.submit(in0!, frames.map((data, i) => ({ data, tsNs: BigInt(i) }))).done;
    await dp.devmap.settled();

    const srcLast = (f: Uint8Array): number => f[11]!;
    const dstPort = (f: Uint8Array): number => (f[36]! << 8) | f[37]!;
    // b0 has no devmap program: both broadcasts leave untouched.
    assert.deepEqual(out.b0.map((f) => [dstPort(f), srcLast(f)]).sort(), [[53, 0x99], [9, 0x99]].sort());
    // a0 and p2 run egress_mark: the source MAC ends in their own ifindex, UDP to port 9 never leaves.
    assert.deepEqual(out.a0.map((f) => [f[12], srcLast(f)]).sort(), [[0x08, a0!.ifindex], [0x86, a0!.ifindex]].sort());
    assert.equal(out.a0.filter((f) => f[12] === 0x08).map(dstPort)[0], 53);
    assert.deepEqual(out.p2.map((f) => [dstPort(f), srcLast(f)]).sort(), [[53, p2!.ifindex], [80, p2!.ifindex]].sort());
    // The ingress port is excluded from the group-MAC flood, not from flood_hash's broadcast.
    assert.deepEqual(out.in0.map((f) => [dstPort(f), srcLast(f)]), [[80, 0x99]]);

    // Each veth peer receives what its end transmitted.
    for (let i = 0; i < 1000 && (peers.a1.length < out.a0.length || peers.b1.length < out.b0.length); i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(peers.a1.map(srcLast), out.a0.map(srcLast));
    assert.equal(peers.b1.length, 2);

    // egress_mark counted every copy it let through, per egress ifindex % 8.
    const seen = (ifindex: number): bigint => new DataView(rt.maps.get('egress_seen')!.read(le32(ifindex % 8))![0]!.buffer).getBigUint64(0, true);
    assert.equal(seen(a0!.ifindex), 2n);
    assert.equal(seen(p2!.ifindex), 2n);
    // The devmap program's own counters, per egress interface: PASS and DROP on a0 and p2.
    const count = (iface: string, action: string): number => dp.counters()
      .filter((r) => r.interface === iface && r.program === 'devmap_flood/egress_mark')
      .reduce((s, r) => s + r.packets[ACTION_LABELS.indexOf(action as 'pass')]!, 0);
    assert.deepEqual([count('a0', 'pass'), count('a0', 'drop'), count('p2', 'pass'), count('p2', 'drop')], [2, 1, 2, 1]);
  } finally {
    await dp.close();
  }
});

const hexLe32 = (v: number): string => Buffer.from(le32(v)).toString('hex');

test('through the daemon: devmap values name the devmap program by program id; bad ids are -EINVAL, devmap programs cannot be attached', async (t) => {
  const dirs = await makeDirs();
  const d = await DaemonProcess.start(dirs);
  t.after(async () => { await d.kill('SIGKILL'); await removeDirs(dirs); });
  const frames = [frame(BROADCAST, { udpPort: 53 }), frame(BROADCAST, { udpPort: 9 }), frame(UNICAST, { v6Last: 1 }), frame(UNICAST, { udpPort: 80 })];
  await writeFile(join(dirs.pcaps, 'devmap-test.pcap'), encodeClassicPcap(frames));

  const p = await d.req('POST', '/v1/programs?name=devmap_flood', { path: 'devmap_flood.o' });
  assert.equal(p.status, 201, p.text);
  const plain = await d.req('POST', '/v1/programs?name=pass', { path: 'xdp_pass.o' });
  assert.equal(plain.status, 201, plain.text);
  const mapId = (name: string): string => p.json.maps.find((m: { name: string }) => m.name === name).id;
  const ifindex: Record<string, number> = {};
  for (const body of [{ name: 'in0', kind: 'pcap' }, { name: 'a0', kind: 'veth', peer: 'a1' }, { name: 'b0', kind: 'veth', peer: 'b1' }, { name: 'p2', kind: 'pcap' }]) {
    const r = await d.req('POST', '/v1/interfaces', body);
    assert.equal(r.status, 201, r.text);
    ifindex[r.json.name] = r.json.ifindex;
  }
  const put = (map: string, key: number, iface: string, prog: number) =>
    d.req('PUT', `/v1/maps/${mapId(map)}/entries/${hexLe32(key)}`, { value: hexLe32(ifindex[iface]!) + hexLe32(prog) });
  const id = Number(p.json.id);
  // A program id that is not loaded, or names an object without an xdp/devmap program: EINVAL, as the kernel.
  for (const bad of [999, Number(plain.json.id)]) {
    const r = await put('flood_ports', 1, 'a0', bad);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.detail.errno, 22);
  }
  for (const [slot, iface, prog] of [[0, 'in0', 0], [1, 'a0', id], [2, 'b0', 0], [3, 'p2', id]] as const) {
    assert.equal((await put('flood_ports', slot, iface, prog)).status, 204);
  }
  assert.equal((await put('flood_hash', 0, 'p2', id)).status, 204);
  assert.equal((await put('flood_hash', 1, 'in0', 0)).status, 204);
  // The program id reads back as written (struct bpf_devmap_val's bpf_prog.id).
  const entries = await d.req('GET', `/v1/maps/${mapId('flood_ports')}/entries`);
  assert.equal(entries.json.entries.find((e: { key: string }) => e.key === hexLe32(1)).value, hexLe32(ifindex['a0']!) + hexLe32(id));
  const devmapAttach = await d.req('PUT', '/v1/interfaces/in0/xdp', { program: p.json.id, entry: 'egress_mark' });
  assert.equal(devmapAttach.status, 400, devmapAttach.text);
  assert.equal((await d.req('PUT', '/v1/interfaces/in0/xdp', { program: p.json.id })).status, 200);

  const rep = await d.req('POST', '/v1/replays', { interface: 'in0', pcap: 'devmap-test.pcap' });
  assert.equal((await d.waitReplay(rep.json.id)).state, 'done');
  const want: Record<string, number> = { in0: 1, a0: 2, b0: 2, p2: 2 };
  const tx = async (): Promise<Record<string, number>> =>
    Object.fromEntries(((await d.req('GET', '/v1/interfaces')).json as { name: string; counters: { txPackets: number } }[])
      .filter((i) => i.name in want).map((i) => [i.name, i.counters.txPackets]));
  let got = await tx();
  // Copies for devmap programs leave after the replay's last batch was delivered.
  for (let i = 0; i < 200 && JSON.stringify(got) !== JSON.stringify({ ...got, ...want }); i++) {
    await new Promise((r) => setTimeout(r, 25));
    got = await tx();
  }
  assert.deepEqual(got, { ...got, ...want });
  const label = { program: 'devmap_flood/egress_mark' };
  assert.equal(await d.metricSum('xdpjit_packets_total', { ...label, interface: 'a0', action: 'pass' }), 2);
  assert.equal(await d.metricSum('xdpjit_packets_total', { ...label, interface: 'a0', action: 'drop' }), 1);
  assert.equal(await d.metricSum('xdpjit_packets_total', { ...label, interface: 'p2', action: 'drop' }), 1);
});
