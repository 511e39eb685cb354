import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { MapType } from '../../../src/ebpf/object-spec.js';
import { Arena } from '../../../src/vm/arena.js';
import { Runtime } from '../../../src/vm/runtime/runtime.js';
import type { HashWorkerData } from './hash-worker.js';
import { mapSpec, objectSpec, program } from './fixtures.js';

const counts = mapSpec('counts', MapType.HASH, 4, 8, 4096);
// Insert-or-increment: lookup; on a miss insert 1 with BPF_NOEXIST; if the other CPU inserted first
// (-EEXIST) look up again; on a hit add 1 atomically.
const COUNT = `
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, 2
  jgt %r4, %r3, out
  ldxh %r7, [%r2+0]
  stxw [%r10-4], %r7
retry:
  lddw %r1, map:counts
  mov %r2, %r10
  add %r2, -4
  call 1
  jne %r0, 0, have
  stdw [%r10-16], 1
  lddw %r1, map:counts
  mov %r2, %r10
  add %r2, -4
  mov %r3, %r10
  add %r3, -16
  mov %r4, 1
  call 2
  jeq %r0, 0, out
  ja retry
have:
  mov %r1, 1
  lock add [%r0+0], %r1
out:
  mov %r0, 2
  exit
`;

test('two worker threads updating one HASH through the runtime: every count exact', async () => {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 2 });
  const rt = Runtime.load(arena, objectSpec([program('count', COUNT, [counts])], [counts]));
  const frames = 3000;
  // Every key is inserted by both workers at about the same moment: the insert races are the point.
  const keys = 3000;
  const barrier = new Int32Array(new SharedArrayBuffer(4));
  const results = await Promise.all([0, 1].map((cpu) => new Promise<{ errors: string[] }>((resolve, reject) => {
    const data: HashWorkerData = { memory: arena.memory, desc: rt.describe(), cpu, frames, keys, barrier };
    const w = new Worker(new URL('./hash-worker.js', import.meta.url), { workerData: data });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  assert.deepEqual(results.map((r) => r.errors), [[], []]);
  const map = rt.maps.get('counts')!;
  assert.equal(map.keys().length, keys);
  for (let k = 0; k < keys; k++) {
    const perWorker = Math.floor(frames / keys) + (k < frames % keys ? 1 : 0);
    const v = map.read(Uint8Array.of(k & 0xff, k >> 8, 0, 0))![0]!;
    assert.equal(new DataView(v.buffer).getBigUint64(0, true), BigInt(2 * perWorker), `key ${k}`);
  }
});
