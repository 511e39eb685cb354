/**
 * A cpumap program's XDP_REDIRECT through the data plane (cpumap-delivery.ts, cpumap.c
 * cpu_map_bpf_prog_run_xdp → xdp_do_redirect from the target CPU): the frame leaves through the device the
 * cpumap program named with bpf_redirect, and a redirect that fails there is counted against the cpumap
 * program, on the target CPU, under the receiving interface.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { MapType } from '../../src/ebpf/object-spec.js';
import { Runtime } from '../../src/vm/runtime/runtime.js';
import { Datapath } from '../../src/dataplane/datapath.js';
import type { RuntimeProcessorSpec } from '../../src/dataplane/runtime-processor.js';
import type { ProcessorRecipe } from '../../src/dataplane/frame-processor.js';
import { ACTION_LABELS, REDIRECT_ERROR_REASONS } from '../../src/dataplane/counters.js';
import { mapSpec, objectSpec, program } from '../vm/runtime/fixtures.js';
import { udpFrame, PAYLOAD_OFFSET } from './frames.js';

const PROCESSOR = new URL('../../src/dataplane/runtime-processor.js', import.meta.url).href;
const le32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);
const cpuVal = (qsize: number, prog: number): Uint8Array => new Uint8Array(new Uint32Array([qsize, prog]).buffer);

/** Every frame to CPU 1 of the CPUMAP. */
const SPREAD = `
  lddw %r1, map:cpus
  mov %r2, 1
  mov %r3, 0
  call 51
  exit
`;

/** On the target CPU: bpf_redirect to the ifindex in payload byte 0. */
const ONWARD = `
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, ${PAYLOAD_OFFSET + 1}
  jgt %r4, %r3, out
  ldxb %r1, [%r2+${PAYLOAD_OFFSET}]
  mov %r2, 0
  call 23
  exit
out:
  mov %r0, 1
  exit
`;

test('a cpumap program redirects from the target CPU; its redirect errors are counted against it', async () => {
  const cpus = 2;
  const arena = Arena.create({ maxBytes: 128 << 20, cpus });
  const regionSize = 32 << 20;
  const dp = new Datapath({ memory: arena.memory, regionBase: arena.alloc(regionSize, 'data plane'), regionSize, cpus });
  try {
    const maps = [mapSpec('cpus', MapType.CPUMAP, 4, 8, 2)];
    const onward = { ...program('onward', ONWARD), section: 'xdp/cpumap', kind: 'xdp/cpumap' as const };
    const rt = Runtime.load(arena, objectSpec([program('spread', SPREAD, maps), onward], maps));
    const recipe = (entry: string): ProcessorRecipe => {
      const spec: RuntimeProcessorSpec = { runtime: rt.describe(), entry, engine: 'jit', harden: false, seed: 0 };
      return { module: PROCESSOR, spec };
    };
    const token = {};
    dp.cpumap.programs = (id) => (id === 3 ? { token, label: 'obj/onward', prepare: async () => recipe('onward') } : undefined);
    const [in0] = await dp.addInterface({ name: 'in0', kind: 'pcap' });
    const [out0] = await dp.addInterface({ name: 'out0', kind: 'pcap' });
    const sent: Uint8Array[] = [];
    out0!.txSink = { write: (f) => { sent.push(f.slice()); } };
    assert.equal(rt.maps.get('cpus')!.write(le32(1), [cpuVal(16, 3)], 0), 0);
    await dp.attach('in0', [{ program: 'spread', recipe: recipe('spread'), chainCallActions: 0 }]);

    // To out0, then to an ifindex that does not exist.
    await dp.submit(in0!, [udpFrame(1, [out0!.ifindex]), udpFrame(2, [99])].map((data, i) => ({ data, tsNs: BigInt(i) }))).done;
    await dp.cpumap.settled();

    assert.deepEqual(sent.map((f) => f[PAYLOAD_OFFSET]), [out0!.ifindex]);
    assert.equal(out0!.stats.txPackets, 1);
    assert.equal(in0!.stats.passPackets, 0);
    const rows = dp.counters().filter((r) => r.interface === 'in0' && r.program === 'obj/onward');
    const on1 = rows.filter((r) => r.cpu === 1);
    assert.equal(on1.reduce((s, r) => s + r.packets[ACTION_LABELS.indexOf('redirect')]!, 0), 2);
    assert.equal(on1.reduce((s, r) => s + r.redirectErrors[REDIRECT_ERROR_REASONS.indexOf('no_target')]!, 0), 1);
    assert.equal(rows.filter((r) => r.cpu === 0).reduce((s, r) => s + r.packets.reduce((a, b) => a + b, 0), 0), 0);
    // The redirecting program itself had no error: its redirect into the CPUMAP succeeded.
    const spread = dp.counters().filter((r) => r.interface === 'in0' && r.program === 'spread');
    assert.equal(spread.reduce((s, r) => s + r.redirectErrors.reduce((a, b) => a + b, 0), 0), 0);
    assert.equal(spread.reduce((s, r) => s + r.packets[ACTION_LABELS.indexOf('redirect')]!, 0), 2);
  } finally {
    await dp.close();
  }
});
