/**
 * bpf_fib_lookup / bpf_check_mtu against a configured virtual FIB (virtual-fib.ts): each BPF_FIB_LKUP_RET_*
 * the kernel's bpf_ipv4_fib_lookup / bpf_ipv6_fib_lookup returns, in its order of checks, and the fields it
 * writes back (ifindex, smac, dmac, mtu_result, a gateway as the new destination).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../../src/vm/arena.js';
import type { HelperCall } from '../../../src/vm/exec-types.js';
import { FrameRunner } from '../../../src/vm/runtime/frame-runner.js';
import { Runtime } from '../../../src/vm/runtime/runtime.js';
import { FibConfigError, FibRet, VirtualFib, parseIp } from '../../../src/vm/helpers/virtual-fib.js';
import { frame, objectSpec } from '../runtime/fixtures.js';

const CONFIG = {
  devices: [
    { ifindex: 1, mac: '02:00:00:00:00:01', mtu: 1500, ipv4: '10.0.0.1', ipv6: 'fd00::1' },
    { ifindex: 2, mac: '02:00:00:00:00:02', mtu: 9000 },
    { ifindex: 3, mac: '02:00:00:00:00:03', forwarding: false },
  ],
  routes: [
    { prefix: '10.0.0.0/8', ifindex: 1 },
    { prefix: '10.2.0.0/16', ifindex: 2, gateway: '10.0.0.254', mtu: 1400 },
    { prefix: '10.9.0.0/16', type: 'blackhole' },
    { prefix: '10.8.0.0/16', type: 'unreachable' },
    { prefix: '10.7.0.0/16', type: 'prohibit' },
    { prefix: '192.168.0.0/16', ifindex: 2, table: 100 },
    { prefix: 'fd00:1::/32', ifindex: 1 },
  ],
  neighbours: [
    { ip: '10.1.2.3', mac: 'aa:bb:cc:00:00:01' },
    { ip: '10.0.0.254', mac: 'aa:bb:cc:00:00:fe', ifindex: 2 },
    { ip: 'fd00:1::5', mac: 'aa:bb:cc:00:00:06' },
  ],
};

interface Params { family: number; ifindex: number; dst: string; totLen?: number; tbid?: number }

function lookup(fib: VirtualFib, p: Params, flags = 0): { ret: number; ifindex: number; dst: string; mtu: number; smac: string; dmac: string; src: string } {
  const rt = Runtime.load(Arena.create({ maxBytes: 8 << 20 }), objectSpec([]), { fib });
  let result!: ReturnType<typeof lookup>;
  new FrameRunner(rt, {
    runFrame: (desc, cpu) => {
      const u8 = rt.arena.u8;
      const a = rt.arena.alloc(64, 'params');
      const dv = new DataView(u8.buffer);
      u8[a] = p.family;
      dv.setUint16(a + 6, p.totLen ?? 100, true);
      dv.setUint32(a + 8, p.ifindex, true);
      u8.set(parseIp(p.dst, 'dst'), a + 32);
      dv.setUint32(a + 48, p.tbid ?? 0, true);
      const regs = new Uint32Array(22);
      [desc, a, 64, flags].forEach((v, i) => { regs[2 * (i + 1)] = v; });
      const hc: HelperCall = { regs, cpu, ctx: desc, insn: 0, tailCallCount: 0, callback: () => 0n, tailCall: () => {} };
      rt.helpers(69)!(hc);
      const hex = (o: number, n: number): string => Buffer.from(u8.slice(a + o, a + o + n)).toString('hex');
      result = { ret: regs[0]! | 0, ifindex: dv.getUint32(a + 8, true), dst: hex(32, p.family === 10 ? 16 : 4), mtu: dv.getUint16(a + 6, true), smac: hex(52, 6), dmac: hex(58, 6), src: hex(16, p.family === 10 ? 16 : 4) };
      return 2n;
    },
  }).run(0, frame(60));
  return result;
}

const AF_INET = 2;
const AF_INET6 = 10;

test('virtual FIB: success fills ifindex, smac, dmac and mtu_result; a gateway becomes the destination', () => {
  const fib = VirtualFib.parse(CONFIG);
  const r = lookup(fib, { family: AF_INET, ifindex: 1, dst: '10.1.2.3' });
  assert.deepEqual([r.ret, r.ifindex, r.smac, r.dmac, r.mtu], [FibRet.SUCCESS, 1, '020000000001', 'aabbcc000001', 1500]);
  const g = lookup(fib, { family: AF_INET, ifindex: 1, dst: '10.2.3.4' });
  assert.deepEqual([g.ret, g.ifindex, g.dst, g.dmac, g.mtu], [FibRet.SUCCESS, 2, '0a0000fe', 'aabbcc0000fe', 1400]);
  const v6 = lookup(fib, { family: AF_INET6, ifindex: 1, dst: 'fd00:1::5' });
  assert.deepEqual([v6.ret, v6.dmac], [FibRet.SUCCESS, 'aabbcc000006']);
});

test('virtual FIB: the kernel\'s return codes in the kernel\'s order', () => {
  const fib = VirtualFib.parse(CONFIG);
  assert.equal(lookup(fib, { family: AF_INET, ifindex: 42, dst: '10.1.2.3' }).ret, -19, 'no such device: -ENODEV');
  assert.equal(lookup(fib, { family: AF_INET, ifindex: 3, dst: '10.1.2.3' }).ret, FibRet.FWD_DISABLED);
  assert.equal(lookup(fib, { family: AF_INET, ifindex: 1, dst: '172.16.0.1' }).ret, FibRet.NOT_FWDED);
  assert.equal(lookup(fib, { family: AF_INET, ifindex: 1, dst: '10.9.0.1' }).ret, FibRet.BLACKHOLE);
  assert.equal(lookup(fib, { family: AF_INET, ifindex: 1, dst: '10.8.0.1' }).ret, FibRet.UNREACHABLE);
  assert.equal(lookup(fib, { family: AF_INET, ifindex: 1, dst: '10.7.0.1' }).ret, FibRet.PROHIBIT);
  assert.equal(lookup(fib, { family: AF_INET, ifindex: 1, dst: '10.1.2.4' }).ret, FibRet.NO_NEIGH);
  assert.equal(lookup(fib, { family: AF_INET, ifindex: 1, dst: '10.1.2.4' }, 4).ret, FibRet.SUCCESS, 'BPF_FIB_LOOKUP_SKIP_NEIGH');
  const big = lookup(fib, { family: AF_INET, ifindex: 1, dst: '10.1.2.3', totLen: 1501 });
  assert.deepEqual([big.ret, big.mtu], [FibRet.FRAG_NEEDED, 1500]);
  assert.equal(lookup(fib, { family: AF_INET, ifindex: 1, dst: '10.2.0.1', totLen: 1401 }).ret, FibRet.FRAG_NEEDED, 'the route MTU wins');
  // BPF_FIB_LOOKUP_DIRECT | TBID: another table; the main table does not have 192.168/16.
  assert.equal(lookup(fib, { family: AF_INET, ifindex: 1, dst: '192.168.1.1' }).ret, FibRet.NOT_FWDED);
  assert.equal(lookup(fib, { family: AF_INET, ifindex: 1, dst: '192.168.1.1', tbid: 100 }, 1 | 8 | 4).ret, FibRet.SUCCESS);
  // BPF_FIB_LOOKUP_SRC: from the device's address; none on ifindex 2 → NO_SRC_ADDR.
  assert.equal(lookup(fib, { family: AF_INET, ifindex: 1, dst: '10.1.2.3' }, 16).src, '0a000001');
  assert.equal(lookup(fib, { family: AF_INET, ifindex: 1, dst: '10.2.0.1' }, 16).ret, FibRet.NO_SRC_ADDR);
});

test('virtual FIB devices answer bpf_check_mtu; a malformed config names the field', () => {
  const rt = Runtime.load(Arena.create({ maxBytes: 8 << 20 }), objectSpec([]), { fib: VirtualFib.parse(CONFIG) });
  const mtus: number[] = [];
  new FrameRunner(rt, {
    runFrame: (desc, cpu) => {
      const mtuLen = rt.arena.alloc(8, 'mtu');
      for (const ifindex of [2, 3, 4]) {
        rt.arena.u32[mtuLen >>> 2] = 0;
        const regs = new Uint32Array(22);
        [desc, ifindex, mtuLen, 0, 0].forEach((v, i) => { regs[2 * (i + 1)] = v; });
        rt.helpers(163)!({ regs, cpu, ctx: desc, insn: 0, tailCallCount: 0, callback: () => 0n, tailCall: () => {} });
        mtus.push(regs[0]! === 0 ? rt.arena.u32[mtuLen >>> 2]! : regs[0]! | 0);
      }
      return 2n;
    },
  }).run(0, frame(60));
  assert.deepEqual(mtus, [9000, 1500, -19], 'device MTUs (1500 by default); no device: -ENODEV');
  assert.throws(() => VirtualFib.parse({ routes: [{ prefix: '10.0.0.0/33', ifindex: 1 }] }), (e: unknown) => e instanceof FibConfigError && e.path === '$.routes[0].prefix');
  assert.throws(() => VirtualFib.parse({ devices: [{ ifindex: 1, mac: 'zz' }] }), (e: unknown) => e instanceof FibConfigError && e.path === '$.devices[0].mac');
  assert.throws(() => VirtualFib.parse({ routes: [{ prefix: '10.0.0.0/8', ifindex: 5 }] }), /no device with ifindex 5/);
  assert.deepEqual([...parseIp('fd00::1', 'x')], [0xfd, 0, ...new Array<number>(13).fill(0), 1]);
});
