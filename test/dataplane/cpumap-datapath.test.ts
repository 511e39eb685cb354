/**
 * The data plane delivering CPUMAP redirects end to end (design.md §4: "CPUMAP moves the frame to another
 * worker", cpumap-delivery.ts): programs/cpumap_spread.o's `cpumap_spread` sends IPv4 frames to CPU
 * (source address % 2); CPU 1's slot names the object's `cpu_count` cpumap program, which runs on CPU 1's
 * worker (its PERCPU_ARRAY counter grows in CPU 1's slot, bpf_get_smp_processor_id is 1), drops UDP to
 * port 9 and passes the rest to the receiving interface's stack side; CPU 0's slot has no program. Then the
 * same through the daemon's REST API, where the CPUMAP value names the program by the daemon's program id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Arena } from '../../src/vm/arena.js';
import { Runtime } from '../../src/vm/runtime/runtime.js';
import { parseObject } from '../../src/ebpf/loader.js';
import { Datapath } from '../../src/dataplane/datapath.js';
import type { RuntimeProcessorSpec } from '../../src/dataplane/runtime-processor.js';
import type { ProcessorRecipe } from '../../src/dataplane/frame-processor.js';
import { ACTION_LABELS } from '../../src/dataplane/counters.js';
import { encodeClassicPcap } from '../../src/oracle/pcap-file.js';
import { DaemonProcess, makeDirs, removeDirs } from '../daemon/daemon-process.js';

const OBJECT = new URL('../../../programs/cpumap_spread.o', import.meta.url);
const PROCESSOR = new URL('../../src/dataplane/runtime-processor.js', import.meta.url).href;
const PROGRAM_ID = 7;
const LABEL = 'cpumap_spread/cpu_count';

const le32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);
const cpuVal = (qsize: number, prog = 0): Uint8Array => new Uint8Array(new Uint32Array([qsize, prog]).buffer);
const hexLe32 = (v: number): string => Buffer.from(le32(v)).toString('hex');

/** Ethernet + IPv4 + UDP from 10.0.0.`srcLast` to `port`; `arp` gives a non-IP frame instead. */
function frame(srcLast: number, port: number, arp = false): Uint8Array {
  const f = new Uint8Array(64);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, arp ? 0x06 : 0x00], 0);
  if (arp) return f;
  f.set([0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, srcLast, 10, 0, 0, 99], 14);
  f.set([0x30, 0x39, port >> 8, port & 0xff, 0, 30, 0, 0], 34);
  return f;
}

/** To CPU 1 (odd source): passed by cpu_count, dropped by it (port 9); to CPU 0 (no program); ARP passes. */
const FRAMES = [frame(1, 53), frame(3, 9), frame(2, 53), frame(0, 0, true)];

test('a CPUMAP redirect runs the cpumap program on the target CPU, then reaches the stack side', async () => {
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
    dp.cpumap.programs = (id) => (id === PROGRAM_ID ? { token, label: LABEL, prepare: async () => recipe('cpu_count') } : undefined);
    const [in0] = await dp.addInterface({ name: 'in0', kind: 'pcap' });
    const stack: Uint8Array[] = [];
    in0!.passSink = { write: (f) => { stack.push(f.slice()); } };
    const cpuMap = rt.maps.get('cpu_map')!;
    assert.equal(cpuMap.write(le32(0), [cpuVal(64)], 0), 0);
    assert.equal(cpuMap.write(le32(1), [cpuVal(64, PROGRAM_ID)], 0), 0);
    await dp.attach('in0', [{ program: 'cpumap_spread', recipe: recipe('cpumap_spread'), chainCallActions: 1 << 2 }]);

    await dp.submit(in0!, FRAMES.map((data, i) => ({ data, tsNs: BigInt(i) }))).done;
    await dp.cpumap.settled();

    // The stack side got the frame cpu_count passed, the one for CPU 0 and the ARP frame; not port 9.
    assert.deepEqual(stack.map((f) => f[29]).sort(), [0, 1, 2].sort());
    assert.equal(in0!.stats.passPackets, 3);
    // cpu_count ran on CPU 1 only: its PERCPU_ARRAY counter in CPU 1's slot, bpf_get_smp_processor_id 1.
    const seen = rt.maps.get('cpu_seen')!.read(le32(0))!.map((v) => new DataView(v.buffer, v.byteOffset).getBigUint64(0, true));
    assert.deepEqual(seen, [0n, 2n]);
    assert.equal(new DataView(rt.maps.get('cpu_last')!.read(le32(0))![0]!.buffer).getUint32(0, true), 1);
    const count = (program: string, action: string, cpu?: number): number => dp.counters()
      .filter((r) => r.interface === 'in0' && r.program === program && (cpu === undefined || r.cpu === cpu))
      .reduce((s, r) => s + r.packets[ACTION_LABELS.indexOf(action as 'pass')]!, 0);
    assert.deepEqual([count(LABEL, 'pass', 1), count(LABEL, 'drop', 1), count(LABEL, 'pass', 0) + count(LABEL, 'drop', 0)], [1, 1, 0]);
    assert.deepEqual([count('cpumap_spread', 'redirect'), count('cpumap_spread', 'pass')], [3, 1]);
  } finally {
    await dp.close();
  }
});

test('through the daemon: CPUMAP values name the cpumap program by program id; bad ids are -EINVAL, cpumap programs cannot be attached', async (t) => {
  const dirs = await makeDirs();
  const d = await DaemonProcess.start(dirs);
  t.after(async () => { await d.kill('SIGKILL'); await removeDirs(dirs); });
  await writeFile(join(dirs.pcaps, 'cpumap-test.pcap'), encodeClassicPcap(FRAMES));

  const p = await d.req('POST', '/v1/programs?name=cpumap_spread', { path: 'cpumap_spread.o' });
  assert.equal(p.status, 201, p.text);
  const plain = await d.req('POST', '/v1/programs?name=pass', { path: 'xdp_pass.o' });
  assert.equal(plain.status, 201, plain.text);
  const mapId = (name: string): string => p.json.maps.find((m: { name: string }) => m.name === name).id;
  const seenEntries = async (): Promise<string[]> =>
    ((await d.req('GET', `/v1/maps/${mapId('cpu_seen')}/entries`)).json.entries[0]?.values ?? []) as string[];
  const cpus = (await seenEntries()).length;
  if (cpus < 2) return t.skip(`the daemon runs ${cpus} CPU(s): CPU 1 does not exist`);
  assert.equal((await d.req('POST', '/v1/interfaces', { name: 'in0', kind: 'pcap' })).status, 201);
  const put = (key: number, qsize: number, prog: number) =>
    d.req('PUT', `/v1/maps/${mapId('cpu_map')}/entries/${hexLe32(key)}`, { value: hexLe32(qsize) + hexLe32(prog) });
  const id = Number(p.json.id);
  // Not a loaded program, or one without an xdp/cpumap section: EINVAL (__cpu_map_load_bpf_program).
  for (const bad of [999, Number(plain.json.id)]) {
    const r = await put(1, 64, bad);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.detail.errno, 22);
  }
  // The map's own errors come first: qsize over 16384 is EOVERFLOW even with a bad program.
  const big = await put(1, 16385, 999);
  assert.equal(big.status, 400, big.text);
  assert.equal(big.json.detail.errno, 75);
  assert.equal((await put(0, 64, 0)).status, 204);
  assert.equal((await put(1, 64, id)).status, 204);
  // The program id reads back as written (struct bpf_cpumap_val's bpf_prog.id).
  const entries = await d.req('GET', `/v1/maps/${mapId('cpu_map')}/entries`);
  assert.equal(entries.json.entries.find((e: { key: string }) => e.key === hexLe32(1)).value, hexLe32(64) + hexLe32(id));
  const cpumapAttach = await d.req('PUT', '/v1/interfaces/in0/xdp', { program: p.json.id, entry: 'cpu_count' });
  assert.equal(cpumapAttach.status, 400, cpumapAttach.text);
  assert.equal((await d.req('PUT', '/v1/interfaces/in0/xdp', { program: p.json.id })).status, 200);

  const rep = await d.req('POST', '/v1/replays', { interface: 'in0', pcap: 'cpumap-test.pcap' });
  assert.equal((await d.waitReplay(rep.json.id)).state, 'done');
  const pass = async (): Promise<number> =>
    ((await d.req('GET', '/v1/interfaces')).json as { name: string; counters: { passPackets: number } }[]).find((i) => i.name === 'in0')!.counters.passPackets;
  // Frames for the cpumap program reach the stack after the replay's last batch was delivered.
  let got = await pass();
  for (let i = 0; i < 200 && got < 3; i++) {
    await new Promise((r) => setTimeout(r, 25));
    got = await pass();
  }
  assert.equal(got, 3);
  const label = { program: LABEL, interface: 'in0' };
  assert.equal(await d.metricSum('xdpjit_packets_total', { ...label, action: 'pass' }), 1);
  assert.equal(await d.metricSum('xdpjit_packets_total', { ...label, action: 'drop' }), 1);
  assert.deepEqual((await seenEntries()).map((h) => Number(Buffer.from(h, 'hex').readBigUInt64LE())), [0, 2, ...new Array<number>(cpus - 2).fill(0)]);
});
