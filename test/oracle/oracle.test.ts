import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  encodeClassicPcap,
  kernelAvailable,
  kernelBench,
  kernelFloorBench,
  kernelVerify,
  KernelLoadError,
  runKernel,
} from '../../src/oracle/index.js';
import { encodePcapng } from '../../src/dataplane/capture/index.js';
import { clangMissing, CLASSIFY_C, ethernetFrame, LRU_C, makeWorkdir, META_C, RINGBUF_C, POINTER_LEAK_C, UNCHECKED_READ_C, type Workdir } from './tiny-programs.js';

const IPV4 = 0x0800;
const IPV6 = 0x86dd;
const ARP = 0x0806;

async function unavailable(): Promise<string | undefined> {
  const k = await kernelAvailable();
  if (!k.ok) return `kernel oracle unavailable: ${k.reason}`;
  return clangMissing();
}

async function withWorkdir(t: { skip(msg: string): void }, body: (w: Workdir) => Promise<void>): Promise<void> {
  const why = await unavailable();
  if (why) {
    t.skip(why);
    return;
  }
  const w = await makeWorkdir();
  try {
    await body(w);
  } finally {
    await w.remove();
  }
}

const sha1 = (hex: string): string => createHash('sha1').update(Buffer.from(hex, 'hex')).digest('hex');
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('frames: actions, rewritten bytes, .rodata fill, tail call through @PROGNAME, short frame skipped', async (t) => {
  await withWorkdir(t, async (w) => {
    const obj = await w.compile('classify', CLASSIFY_C);
    const ipv4 = ethernetFrame(IPV4, 40);
    const frames = [ipv4, ethernetFrame(IPV6, 40), ethernetFrame(ARP, 28), new Uint8Array([1, 2, 3]), ethernetFrame(IPV4, 46)];
    const pcap = await w.write('f.pcap', encodeClassicPcap(frames));
    const maps = await w.write('f.maps', '# verdict XDP_PASS for IPv4\n.rodata 00000000 02000000\njumps 00000000 @tailee\nby_proto 0806 0A00000000000000\n');
    const r = await runKernel(obj, pcap, { prog: 'classify', mapsFile: maps });

    assert.deepEqual(r.frames.map((f) => [f.i, f.action, f.len]), [
      [0, 'XDP_PASS', 54],
      [1, 'UNKNOWN(7)', 54],
      [2, 'XDP_PASS', 42],
      [4, 'XDP_PASS', 60],
    ]);
    const swapped = Uint8Array.from(ipv4);
    swapped.set(ipv4.subarray(6, 12), 0);
    swapped.set(ipv4.subarray(0, 6), 6);
    assert.equal(r.frames[0]?.hex, hexOf(swapped));
    assert.equal(r.frames[1]?.hex, hexOf(frames[1] as Uint8Array));
    for (const f of r.frames) assert.equal(f.sha1, sha1(f.hex));
    assert.deepEqual(r.skipped, [3]);
    assert.match(r.skipReasons[0]?.reason ?? '', /ETH_HLEN/);
    assert.equal(r.program.name, 'classify');
    assert.ok(r.program.helpers.includes(12), 'bpf_tail_call (12) is among the helpers called');
    assert.deepEqual(r.maps, [], 'no dump unless asked');
  });
});

test('--dump-maps: sorted by map then key, per-CPU slots, PROG_ARRAY as @PROGNAME, every ARRAY index', async (t) => {
  await withWorkdir(t, async (w) => {
    const obj = await w.compile('classify', CLASSIFY_C);
    const frames = [ethernetFrame(IPV4, 40), ethernetFrame(ARP, 28), ethernetFrame(IPV4, 40), new Uint8Array(5)];
    const pcap = await w.write('f.pcap', encodeClassicPcap(frames));
    const maps = await w.write('f.maps', 'jumps 02000000 @tailee\nby_proto 0806 0a00000000000000\npkts 01000000 0500000000000000\n');
    const r = await runKernel(obj, pcap, { prog: 'classify', mapsFile: maps, dumpMaps: true });
    const cpus = (await kernelAvailable()) as { possibleCpus: number };
    const slot = (n: number): string => Buffer.from(new BigUint64Array([BigInt(n)]).buffer).toString('hex');
    const others = (v: string): string[] => Array.from({ length: cpus.possibleCpus - 1 }, () => v);
    assert.deepEqual(r.maps, [
      { map: '.rodata', key: '00000000', value: '03000000' },
      { map: 'by_proto', key: '0800', value: slot(2) },
      { map: 'by_proto', key: '0806', value: slot(11) },
      { map: 'jumps', key: '02000000', value: '@tailee' },
      // the kernel-refused 5-byte frame never ran, so slot 0 counts 3 frames; the other CPUs keep the fill
      { map: 'pkts', key: '00000000', values: [slot(3), ...others(slot(0))] },
      { map: 'pkts', key: '01000000', values: [slot(5), ...others(slot(5))] },
    ]);
    assert.deepEqual(
      r.mapInfo.map((m) => [m.name, m.type]).sort(),
      [['.rodata', 'array'], ['by_proto', 'hash'], ['jumps', 'prog_array'], ['pkts', 'percpu_array']],
    );
  });
});

test('the output starts with the XDP metadata the program reserved, and says how long it is', async (t) => {
  await withWorkdir(t, async (w) => {
    const obj = await w.compile('meta', META_C);
    const frame = ethernetFrame(IPV4, 50);
    const r = await runKernel(obj, await w.write('f.pcap', encodeClassicPcap([frame])));
    assert.deepEqual([r.frames[0]?.action, r.frames[0]?.len, r.frames[0]?.metaLen], ['XDP_PASS', frame.length + 8, 8]);
    assert.equal(r.frames[0]?.hex, `8877665544332211${hexOf(frame)}`);
  });
});

test('a pcapng capture runs as its classic pcap twin does', async (t) => {
  await withWorkdir(t, async (w) => {
    const obj = await w.compile('classify', CLASSIFY_C);
    const frames = [ethernetFrame(IPV4, 40), ethernetFrame(ARP, 28)];
    const pcapng = encodePcapng([{ interfaces: [{ linkType: 1, snaplen: 65535 }], packets: frames.map((data) => ({ kind: 'epb' as const, iface: 0, data, tsNs: 0n })) }]);
    const fromPcapng = await runKernel(obj, await w.write('f.pcapng', pcapng), { prog: 'classify' });
    const fromPcap = await runKernel(obj, await w.write('f.pcap', encodeClassicPcap(frames)), { prog: 'classify' });
    assert.deepEqual(fromPcapng.frames, fromPcap.frames);
    assert.equal(fromPcapng.frames.length, 2);
  });
});

test('ring buffer records are read after each frame', async (t) => {
  await withWorkdir(t, async (w) => {
    const obj = await w.compile('ring', RINGBUF_C);
    const r = await runKernel(obj, await w.write('f.pcap', encodeClassicPcap([ethernetFrame(IPV4, 20), ethernetFrame(ARP, 20)])));
    assert.deepEqual(r.events, [
      { event: 'ringbuf', i: 0, cpu: 0, map: 'ring', data: '0800' },
      { event: 'ringbuf', i: 1, cpu: 0, map: 'ring', data: '0806' },
    ]);
  });
});

test('the frame after which an LRU map holds its capacity is reported', async (t) => {
  await withWorkdir(t, async (w) => {
    const obj = await w.compile('lru', LRU_C);
    // EtherTypes 1, 2, 1, 3, 4 (the map is full: 4 entries), 5
    const frames = [1, 2, 1, 3, 4, 5].map((type) => ethernetFrame(type, 20));
    const r = await runKernel(obj, await w.write('f.pcap', encodeClassicPcap(frames)));
    assert.deepEqual(r.lruFullAfter, { recent: 4 });
  });
});

test('a rejected load is a KernelLoadError carrying the verifier log', async (t) => {
  await withWorkdir(t, async (w) => {
    const obj = await w.compile('unchecked', UNCHECKED_READ_C);
    const pcap = await w.write('f.pcap', encodeClassicPcap([ethernetFrame(IPV4, 40)]));
    await assert.rejects(runKernel(obj, pcap), (err: unknown) => {
      assert.ok(err instanceof KernelLoadError);
      assert.match(err.log, /invalid access to packet/);
      return true;
    });
  });
});

test('verify-only: verdicts with processed-insn figures, and strict mode without CAP_PERFMON', async (t) => {
  await withWorkdir(t, async (w) => {
    const good = await w.compile('classify', CLASSIFY_C);
    const v = await kernelVerify(good, { prog: 'classify' });
    assert.equal(v.accepted, true);
    assert.ok(v.processedInsns >= v.insns, `processed ${v.processedInsns} of ${v.insns}`);
    assert.ok(v.verificationTimeUs >= 0);
    assert.equal(v.kernel, ((await kernelAvailable()) as { kernel: string }).kernel);

    const bad = await kernelVerify(await w.compile('unchecked', UNCHECKED_READ_C));
    assert.equal(bad.accepted, false);
    assert.match(bad.log, /invalid access to packet/);

    const leak = await w.compile('leak', POINTER_LEAK_C);
    assert.equal((await kernelVerify(leak)).accepted, true, 'root (CAP_PERFMON) may store pointers in maps');
    const strict = await kernelVerify(leak, { strict: true });
    assert.equal(strict.accepted, false);
    assert.match(strict.log, /leaks addr/);
  });
});

test('bench: the kernel reports ns per packet over every frame it ran', async (t) => {
  await withWorkdir(t, async (w) => {
    const obj = await w.compile('classify', CLASSIFY_C);
    const r = await kernelBench(obj, [ethernetFrame(IPV4, 40), ethernetFrame(ARP, 28), new Uint8Array(4)], { prog: 'classify', repeat: 1000 });
    assert.equal(r.frames, 2);
    assert.ok(Number.isFinite(r.nsPerPacket) && r.nsPerPacket > 0, `nsPerPacket ${r.nsPerPacket}`);
    assert.deepEqual(r.actions, { XDP_TX: 1, XDP_PASS: 1 });
    const floor = await kernelFloorBench([ethernetFrame(IPV4, 40)], { repeat: 1000 });
    assert.deepEqual([floor.frames, floor.actions], [1, { XDP_PASS: 1 }]);
    assert.ok(Number.isFinite(floor.nsPerPacket) && floor.nsPerPacket >= 0, `floor ${floor.nsPerPacket}`);
  });
});
