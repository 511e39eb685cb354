/**
 * src/dataplane/cpumap-delivery.ts: a CPUMAP redirect's frame runs on the target CPU's worker with the slot's
 * cpumap program (cpumap.c cpu_map_bpf_prog_run_xdp: bpf_get_smp_processor_id is the target CPU, the
 * metadata travels with the frame, ingress_ifindex is the receiving device), and its verdicts are treated as
 * the kernel's: PASS → stack, DROP → freed, REDIRECT → xdp_do_redirect from that CPU, anything else an
 * exception; a slot without a program passes the frame to the stack at once; a queue holds qsize frames.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { DESC_SIZE, Desc, RedirectKind } from '../../src/vm/arena-layout.js';
import { MapType } from '../../src/ebpf/object-spec.js';
import { XdpAction } from '../../src/ebpf/opcodes.js';
import { createMap } from '../../src/vm/maps/registry.js';
import { Runtime } from '../../src/vm/runtime/runtime.js';
import { CpuPool } from '../../src/dataplane/cpu-pool.js';
import { RegionAllocator } from '../../src/dataplane/region-allocator.js';
import { ACTION_LABELS, type RedirectErrorReason } from '../../src/dataplane/counters.js';
import { CpumapDelivery, cpumapVerdict, type CpumapPort } from '../../src/dataplane/cpumap-delivery.js';
import type { RuntimeProcessorSpec } from '../../src/dataplane/runtime-processor.js';
import { objectSpec, program } from '../vm/runtime/fixtures.js';
import { udpFrame, PAYLOAD_OFFSET } from './frames.js';

const le32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);
const val = (qsize: number, prog = 0): Uint8Array => new Uint8Array(new Uint32Array([qsize, prog]).buffer);

test('cpumap program verdicts: PASS to the stack, DROP frees, REDIRECT goes on, everything else is an exception', () => {
  assert.equal(cpumapVerdict(XdpAction.PASS), 'stack');
  assert.equal(cpumapVerdict(XdpAction.DROP), 'drop');
  assert.equal(cpumapVerdict(XdpAction.REDIRECT), 'redirect');
  for (const a of [XdpAction.ABORTED, XdpAction.TX, 5, 0xffffffff]) assert.equal(cpumapVerdict(a), 'exception', String(a));
});

/**
 * A cpumap program: writes bpf_get_smp_processor_id(), ingress_ifindex and the first metadata byte (0 when
 * there is none) into payload bytes 1..3 and returns payload byte 0.
 */
const CPUMAP_PROG = `
  mov %r9, %r1
  call 8
  mov %r8, %r0
  ldxw %r2, [%r9+0]
  ldxw %r3, [%r9+4]
  ldxw %r6, [%r9+8]
  mov %r4, %r2
  add %r4, ${PAYLOAD_OFFSET + 4}
  jgt %r4, %r3, out
  stxb [%r2+${PAYLOAD_OFFSET + 1}], %r8
  ldxw %r5, [%r9+12]
  stxb [%r2+${PAYLOAD_OFFSET + 2}], %r5
  mov %r5, 0
  mov %r4, %r6
  add %r4, 1
  jgt %r4, %r2, nometa
  ldxb %r5, [%r6+0]
nometa:
  stxb [%r2+${PAYLOAD_OFFSET + 3}], %r5
  ldxb %r0, [%r2+${PAYLOAD_OFFSET}]
  exit
out:
  mov %r0, 2
  exit
`;

for (const engine of ['interp', 'jit'] as const) {
  test(`cpumap programs run on the target CPU (${engine}) with the frame's metadata; qsize bounds the queue`, async () => {
    const cpus = 2;
    const arena = Arena.create({ maxBytes: 64 << 20, cpus });
    const regionSize = 8 << 20;
    const region = new RegionAllocator(arena.alloc(regionSize, 'data plane'), regionSize);
    const pool = new CpuPool(arena.memory, cpus, region);
    try {
      const cpumap = createMap(arena, { name: 'cpus', type: MapType.CPUMAP, keySize: 4, valueSize: 8, maxEntries: 2, flags: 0 });
      // CPU 0: no program; CPU 1: program 7 behind a 6-frame queue.
      assert.equal(cpumap.write(le32(0), [val(8)], 0), 0);
      assert.equal(cpumap.write(le32(1), [val(6, 7)], 0), 0);
      const prog = { ...program('on_cpu', CPUMAP_PROG), section: 'xdp/cpumap', kind: 'xdp/cpumap' as const };
      const rt = Runtime.load(arena, objectSpec([prog]));
      const spec: RuntimeProcessorSpec = { runtime: rt.describe(), entry: 'on_cpu', engine, harden: false, seed: 1 };
      const delivery = new CpumapDelivery({ memory: arena.memory, cpus, pool, allocCounters: (n) => region.alloc(n) });
      const token = {};
      delivery.programs = (id) => (id === 7 ? { token, label: 'on_cpu', prepare: async () => ({ module: new URL('../../src/dataplane/runtime-processor.js', import.meta.url).href, spec }) } : undefined);
      const stack: Uint8Array[] = [];
      const redirected: { cpu: number; frame: Uint8Array }[] = [];
      const errors: RedirectErrorReason[] = [];
      const port: CpumapPort = {
        toStack: (f) => stack.push(f),
        redirect: (cpu, _desc, frame) => redirected.push({ cpu, frame }),
        error: (reason) => errors.push(reason),
      };
      // The frame sits in the arena as a program left it, 4 bytes of metadata in front (0xab first).
      const desc = arena.alloc(DESC_SIZE, 'desc');
      const buf = arena.alloc(256, 'frame');
      const send = (cpu: number, f: Uint8Array, meta: boolean): boolean => {
        const u32 = arena.u32;
        u32.fill(0, desc >>> 2, (desc + DESC_SIZE) >>> 2);
        const data = buf + 64;
        arena.u8.set([0xab, 1, 2, 3], data - 4);
        arena.u8.set(f, data);
        for (const [off, v] of [[Desc.REDIRECT_KIND, RedirectKind.CPU], [Desc.REDIRECT_TARGET, cpu], [Desc.REDIRECT_MAP, cpumap.addr],
          [Desc.REDIRECT_VALUE, cpumap.lookup(le32(cpu), 0)], [Desc.INGRESS_IFINDEX, 5], [Desc.DATA, data],
          [Desc.DATA_END, data + f.length], [Desc.DATA_META, meta ? data - 4 : data]] as const) u32[(desc + off) >>> 2] = v;
        return delivery.redirect(desc, f, port);
      };
      // Not a CPUMAP redirect: left to the caller.
      arena.u32.fill(0, desc >>> 2, (desc + DESC_SIZE) >>> 2);
      assert.equal(delivery.redirect(desc, udpFrame(1), port), false);

      // CPU 0 has no program: the stack gets the frame at once, untouched.
      assert.equal(send(0, udpFrame(1000, [XdpAction.DROP]), true), true);
      assert.equal(stack.length, 1);
      assert.equal(stack[0]![PAYLOAD_OFFSET], XdpAction.DROP);

      const verdicts = [XdpAction.PASS, XdpAction.DROP, XdpAction.ABORTED, XdpAction.TX, XdpAction.REDIRECT, 9];
      verdicts.forEach((v, i) => assert.equal(send(1, udpFrame(2000 + i, [v]), i === 0), true));
      // The seventh frame finds CPU 1's queue (qsize 6) full: the ptr_ring drops it.
      assert.equal(send(1, udpFrame(3000, [XdpAction.PASS]), false), true);
      assert.equal(stack.length, 1, 'queued frames run once the delivery is over');
      assert.deepEqual(errors, ['queue_full']);
      await delivery.settled();

      // PASS reached the stack with what the program wrote: CPU 1, ingress ifindex 5, metadata byte 0xab.
      assert.equal(stack.length, 2);
      assert.deepEqual([...stack[1]!.subarray(PAYLOAD_OFFSET, PAYLOAD_OFFSET + 4)], [XdpAction.PASS, 1, 5, 0xab]);
      assert.deepEqual(redirected.map((r) => [r.cpu, ...r.frame.subarray(PAYLOAD_OFFSET, PAYLOAD_OFFSET + 4)]), [[1, XdpAction.REDIRECT, 1, 5, 0]]);
      const rows = delivery.counterRows();
      assert.ok(rows.every((r) => r.program === 'on_cpu' && r.ifindex === 5));
      const on = (cpu: number, action: string): number => rows.filter((r) => r.cpu === cpu).reduce((s, r) => s + r.packets[ACTION_LABELS.indexOf(action as 'pass')]!, 0);
      assert.deepEqual([on(1, 'pass'), on(1, 'drop'), on(1, 'redirect')], [1, 1, 1]);
      // ABORTED, TX and 9 are exceptions; nothing ran on CPU 0.
      assert.equal(rows.filter((r) => r.cpu === 1).reduce((s, r) => s + r.exceptions, 0), 3);
      assert.equal(rows.filter((r) => r.cpu === 0).reduce((s, r) => s + r.packets.reduce((a, b) => a + b, 0) + r.exceptions, 0), 0);

      // A slot naming a program that is not loaded (deleted since): the frame fails with no_target.
      assert.equal(cpumap.write(le32(1), [val(6, 8)], 0), 0);
      assert.equal(send(1, udpFrame(4000, [XdpAction.PASS]), false), true);
      await delivery.settled();
      assert.deepEqual(errors, ['queue_full', 'no_target']);
      assert.equal(stack.length, 2);
    } finally {
      await pool.close();
    }
  });
}
