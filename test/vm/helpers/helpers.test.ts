/**
 * Helper semantics against the kernel's rules (net/core/filter.c, kernel/bpf/helpers.c): each test drives
 * helpers directly from a stand-in engine, so a frame is set up exactly as the frame runner sets it up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Desc, XDP_PACKET_HEADROOM, MAX_LINEAR } from '../../../src/vm/arena-layout.js';
import { Arena } from '../../../src/vm/arena.js';
import type { HelperCall } from '../../../src/vm/exec-types.js';
import { Errno } from '../../../src/vm/maps/errno.js';
import { FrameRunner } from '../../../src/vm/runtime/frame-runner.js';
import { Runtime } from '../../../src/vm/runtime/runtime.js';
import { csumDiff } from '../../../src/vm/helpers/csum.js';
import { formatPrintk } from '../../../src/vm/helpers/trace-printk.js';
import { MapType } from '../../../src/ebpf/object-spec.js';
import { frame, mapSpec, objectSpec } from '../runtime/fixtures.js';

type Call = (id: number, ...args: (number | bigint)[]) => bigint;

/** Run `body` as the program of one frame; `call` invokes a helper with r1..r5 and returns r0 (signed). */
function withFrame(data: Uint8Array, body: (call: Call, desc: number, rt: Runtime) => number, rt = Runtime.load(Arena.create({ maxBytes: 8 << 20 }), objectSpec([]))) {
  const runner = new FrameRunner(rt, {
    runFrame: (desc, cpu) => {
      const regs = new Uint32Array(22);
      const call: Call = (id, ...args) => {
        args.forEach((a, i) => {
          const v = BigInt.asUintN(64, BigInt(a));
          regs[2 * (i + 1)] = Number(v & 0xffffffffn);
          regs[2 * (i + 1) + 1] = Number(v >> 32n);
        });
        const hc: HelperCall = { regs, cpu, ctx: desc, insn: 0, tailCallCount: 0, callback: () => 0n, tailCall: () => {} };
        rt.helpers(id)!(hc);
        return BigInt.asIntN(64, (BigInt(regs[1]!) << 32n) | BigInt(regs[0]!));
      };
      return BigInt(body(call, desc, rt));
    },
  });
  return runner.run(0, data);
}

const field = (rt: Runtime, desc: number, off: number): number => rt.arena.u32[(desc + off) >>> 2]!;

test('bpf_xdp_adjust_head keeps sizeof(xdp_frame) of headroom and ETH_HLEN of data', () => {
  const out = withFrame(frame(60), (call, desc, rt) => {
    assert.equal(call(44, desc, -(XDP_PACKET_HEADROOM - 40) - 1), BigInt(-Errno.EINVAL));
    assert.equal(call(44, desc, 60 - 13), BigInt(-Errno.EINVAL));
    assert.equal(call(44, desc, 60 - 14), 0n);
    assert.equal(field(rt, desc, Desc.DATA_END) - field(rt, desc, Desc.DATA), 14);
    assert.equal(call(44, desc, -(60 - 14) - 16), 0n); // 16 bytes of new, zeroed headroom in front
    return 2;
  });
  assert.equal(out.output.length, 76);
  assert.deepEqual([...out.output.subarray(0, 16)], new Array(16).fill(0));
  assert.deepEqual(out.output.subarray(16), frame(60));
});

test('bpf_xdp_adjust_meta: 4-byte multiples up to 32 bytes; output starts at data_meta; adjust_head moves meta along', () => {
  const out = withFrame(frame(40), (call, desc, rt) => {
    assert.equal(call(54, desc, -3), BigInt(-Errno.EACCES));
    assert.equal(call(54, desc, -36), BigInt(-Errno.EACCES));
    assert.equal(call(54, desc, 4), BigInt(-Errno.EINVAL)); // meta past data
    assert.equal(call(54, desc, -8), 0n);
    const meta = field(rt, desc, Desc.DATA_META);
    rt.arena.u8.set([1, 2, 3, 4, 5, 6, 7, 8], meta);
    assert.equal(call(44, desc, 2), 0n);
    assert.deepEqual([...rt.arena.u8.subarray(field(rt, desc, Desc.DATA_META), field(rt, desc, Desc.DATA))], [1, 2, 3, 4, 5, 6, 7, 8]);
    return 2;
  });
  assert.equal(out.output.length, 8 + 38);
  assert.deepEqual([...out.output.subarray(0, 8)], [1, 2, 3, 4, 5, 6, 7, 8]);
});

test('bpf_xdp_adjust_tail: grows (zeroed) up to the slot minus skb_shared_info, never below ETH_HLEN', () => {
  const out = withFrame(frame(100), (call, desc) => {
    assert.equal(call(65, desc, MAX_LINEAR - 100 + 1), BigInt(-Errno.EINVAL));
    assert.equal(call(65, desc, -87), BigInt(-Errno.EINVAL));
    assert.equal(call(65, desc, -86), 0n);
    assert.equal(call(65, desc, 10), 0n);
    return 3;
  });
  assert.equal(out.record.action, 'XDP_TX');
  assert.deepEqual(out.output, Uint8Array.from([...frame(14), ...new Array(10).fill(0)]));
});

test('multi-buffer: linear part + page fragments; get_buff_len, load/store_bytes across them, tail shrink releases fragments', () => {
  const big = frame(MAX_LINEAR + 5000);
  const out = withFrame(big, (call, desc, rt) => {
    assert.equal(field(rt, desc, Desc.DATA_END) - field(rt, desc, Desc.DATA), MAX_LINEAR);
    assert.equal(call(188, desc), BigInt(big.length));
    const buf = rt.arena.alloc(64, 'buf');
    assert.equal(call(189, desc, MAX_LINEAR - 8, buf, 16), 0n);
    assert.deepEqual(rt.arena.u8.slice(buf, buf + 16), big.subarray(MAX_LINEAR - 8, MAX_LINEAR + 8));
    assert.equal(call(189, desc, big.length - 8, buf, 16), BigInt(-Errno.EINVAL));
    assert.equal(call(189, desc, 0x10000, buf, 1), BigInt(-Errno.EFAULT));
    rt.arena.u8.fill(0xee, buf, buf + 4);
    assert.equal(call(190, desc, MAX_LINEAR + 4094, buf, 4), 0n); // straddles fragments 0 and 1
    assert.equal(call(65, desc, 4096 - 904 + 1), BigInt(-Errno.EINVAL)); // last fragment holds 904 bytes
    assert.equal(call(65, desc, -1000), 0n); // releases fragment 1 (904) and 96 bytes of fragment 0
    assert.equal(call(188, desc), BigInt(big.length - 1000));
    return 3;
  });
  const want = big.slice(0, big.length - 1000);
  want.fill(0xee, MAX_LINEAR + 4094, MAX_LINEAR + 4098);
  assert.deepEqual(out.output, want);
});

test('bpf_csum_diff: folded 16-bit sums as 6.x kernels return them; sizes must be 4-byte multiples', () => {
  const u8 = new Uint8Array(64);
  u8.set([0xef, 0xbe, 0xad, 0xde, 0xef, 0xbe, 0xad, 0xde], 16);
  assert.equal(csumDiff(u8, 0, 0, 16, 8, 0), 0x3b3b); // selftests csum_diff_test push case
  assert.equal(csumDiff(u8, 16, 8, 16, 8, 0), 0xffff); // x - x is one's-complement -0
  assert.equal(csumDiff(u8, 16, 8, 0, 0, 0x3b3b), 0xffff); // pulling what was pushed leaves -0
  withFrame(frame(20), (call, _desc, rt) => {
    const a = rt.arena.alloc(16, 'a');
    assert.equal(call(28, 0, 0, a, 3, 0), BigInt(-Errno.EINVAL));
    assert.equal(call(28, a, 260, a, 256, 0), BigInt(-Errno.EINVAL));
    return 2;
  });
});

test('bpf_redirect: flags give XDP_ABORTED; the target is reported with XDP_REDIRECT only', () => {
  assert.equal(withFrame(frame(20), (call) => Number(call(23, 5, 1))).record.action, 'XDP_ABORTED');
  const r = withFrame(frame(20), (call) => Number(call(23, 7, 0)));
  assert.deepEqual(r.record.redirect, { ifindex: 7 });
  assert.equal(withFrame(frame(20), (call) => { call(23, 7, 0); return 2; }).record.redirect, undefined);
});

test('map helpers return value addresses or NULL, and negative errno sign-extended', () => {
  const arena = Arena.create({ maxBytes: 8 << 20 });
  const rt = Runtime.load(arena, objectSpec([], [mapSpec('h', MapType.HASH, 4, 4, 1)]));
  const h = rt.maps.get('h')!;
  withFrame(frame(20), (call) => {
    const k = arena.alloc(8, 'k');
    arena.u8.set([1, 0, 0, 0], k);
    assert.equal(call(1, h.addr, k), 0n);
    assert.equal(call(2, h.addr, k, k, 0), 0n);
    assert.equal(call(1, h.addr, k), BigInt(h.lookup(Uint8Array.of(1, 0, 0, 0), 0)));
    arena.u8.set([2, 0, 0, 0], k + 4);
    assert.equal(call(2, h.addr, k + 4, k, 0), BigInt(-Errno.E2BIG));
    assert.equal(call(2, h.addr, k, k, 1n << 32n), BigInt(-Errno.EINVAL));
    assert.equal(call(3, h.addr, k + 4), BigInt(-Errno.ENOENT));
    assert.equal(call(3, h.addr, k), 0n);
    return 2;
  }, rt);
});

test('bpf_trace_printk formats as the kernel does and refuses what it refuses', () => {
  const none = (): string => '';
  assert.equal(formatPrintk('x=%d u=%u h=%x', [-1n, -1n, 255n], none), 'x=-1 u=4294967295 h=ff');
  assert.equal(formatPrintk('%lld|%5d|%-4x|%%', [-2n, 42n, 10n], none), '-2|   42|a   |%');
  assert.equal(formatPrintk('%03u %#x %llx', [7n, 255n, -1n], none), '007 0xff ffffffffffffffff');
  assert.throws(() => formatPrintk('%d %d %d %d', [1n, 2n, 3n, 4n], none));
  assert.throws(() => formatPrintk('%f', [1n], none));
  assert.equal(formatPrintk('%s!', [0x100n], (a) => (a === 0x100 ? 'hi' : '')), 'hi!');
});

test('time and CPU helpers follow the runtime clock', () => {
  const rt = Runtime.load(Arena.create({ maxBytes: 8 << 20 }), objectSpec([]));
  const runner = new FrameRunner(rt, {
    runFrame: (desc, cpu) => {
      const regs = new Uint32Array(22);
      const hc: HelperCall = { regs, cpu, ctx: desc, insn: 0, tailCallCount: 0, callback: () => 0n, tailCall: () => {} };
      rt.helpers(5)!(hc);
      return (BigInt(regs[1]!) << 32n) | BigInt(regs[0]!);
    },
  });
  // The capture clock returns the frame's timestamp; the action is its low 32 bits.
  assert.equal(runner.run(0, frame(20), 123_000_000_007n).retval, Number(123_000_000_007n & 0xffffffffn));
});

test('bpf_redirect_map: device/CPU targets, the flags\' action for an empty slot, bad flags abort', () => {
  const rt = Runtime.load(Arena.create({ maxBytes: 8 << 20, cpus: 2 }), objectSpec([], [
    mapSpec('dev', MapType.DEVMAP, 4, 4, 4), mapSpec('cpus', MapType.CPUMAP, 4, 4, 2),
  ]));
  const dev = rt.maps.get('dev')!;
  const cpus = rt.maps.get('cpus')!;
  dev.write(Uint8Array.of(1, 0, 0, 0), [Uint8Array.of(9, 0, 0, 0)], 0);
  cpus.write(Uint8Array.of(1, 0, 0, 0), [Uint8Array.of(64, 0, 0, 0)], 0);
  assert.deepEqual(withFrame(frame(20), (call) => Number(call(51, dev.addr, 1, 0)), rt).record.redirect, { ifindex: 9 });
  assert.deepEqual(withFrame(frame(20), (call) => Number(call(51, cpus.addr, 1, 0)), rt).record.redirect, { cpu: 1 });
  const empty = withFrame(frame(20), (call) => { call(51, dev.addr, 1, 0); return Number(call(51, dev.addr, 2, 2)); }, rt);
  assert.equal(empty.record.action, 'XDP_PASS');
  assert.equal(withFrame(frame(20), (call) => Number(call(51, cpus.addr, 1, 1n << 3n)), rt).record.action, 'XDP_ABORTED');
});

test('bpf_check_mtu and bpf_fib_lookup answer from the virtual devices and an empty FIB', () => {
  withFrame(frame(100), (call, desc, rt) => {
    const p = rt.arena.alloc(64, 'params');
    assert.equal(call(163, desc, 0, p, 0, 0), 0n);
    assert.equal(rt.arena.u32[p >>> 2], 65536);
    rt.arena.u32[p >>> 2] = 65537;
    assert.equal(call(163, desc, 1, p, 0, 0), 1n); // BPF_MTU_CHK_RET_FRAG_NEEDED
    assert.equal(call(163, desc, 7, p, 0, 0), -19n);
    assert.equal(call(163, desc, 0, p, 0, 1), BigInt(-Errno.EINVAL));
    rt.arena.u8[p] = 2; // AF_INET
    assert.equal(call(69, desc, p, 64, 0), 5n); // forwarding disabled
    assert.equal(call(69, desc, p, 64, 2), 4n); // BPF_FIB_LOOKUP_OUTPUT: no route
    assert.equal(call(69, desc, p, 63, 0), BigInt(-Errno.EINVAL));
    rt.arena.u8[p] = 3;
    assert.equal(call(69, desc, p, 64, 0), -97n);
    return 2;
  });
});
