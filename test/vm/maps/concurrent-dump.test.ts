/**
 * design.md §2: the control plane reads map entries straight from the arena while the data path writes.
 * Two worker threads churn a full LRU_HASH (every insert evicts); the main thread dumps it meanwhile. Every
 * dump must hold at most max_entries entries, no key twice, and every value whole (written by one update).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { MapType } from '../../../src/ebpf/object-spec.js';
import { Arena } from '../../../src/vm/arena.js';
import { mapEntries } from '../../../src/vm/maps/bpf-map.js';
import { createMap } from '../../../src/vm/maps/registry.js';
import type { LruWriterData } from './lru-writer-worker.js';

function checkValue(key: Uint8Array, value: Uint8Array): void {
  const k = new DataView(key.buffer, key.byteOffset).getUint32(0, true);
  assert.ok(k < 200, `key ${k} was never written`);
  assert.ok(value.every((b) => b === value[0]), `key ${k}: torn value ${Buffer.from(value).toString('hex')}`);
}

test('LRU_HASH dumps while two workers evict and rewrite: ≤ max_entries, unique keys, whole values', async () => {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 2 });
  const map = createMap(arena, { name: 'lru', type: MapType.LRU_HASH, keySize: 4, valueSize: 64, maxEntries: 64, flags: 0 });
  const control = new Int32Array(new SharedArrayBuffer(8));
  const workers = [0, 1].map((cpu) => {
    const data: LruWriterData = { memory: arena.memory, addr: map.addr, cpu, control };
    return new Worker(new URL('./lru-writer-worker.js', import.meta.url), { workerData: data });
  });
  const done = workers.map((w) => new Promise<{ ops: number }>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); }));
  try {
    while (Atomics.load(control, 0) < 2) await new Promise((r) => setTimeout(r, 1));
    const deadline = Date.now() + 800;
    let dumps = 0;
    while (Date.now() < deadline) {
      const entries = mapEntries(map);
      assert.ok(entries.length <= 64, `dump ${dumps}: ${entries.length} entries in a 64-entry map`);
      const keys = entries.map((e) => Buffer.from(e.key).toString('hex'));
      assert.equal(new Set(keys).size, keys.length, `dump ${dumps}: a key listed twice`);
      for (const e of entries) checkValue(e.key, e.values[0]!);
      const listed = map.keys();
      assert.ok(listed.length <= 64, `keys(): ${listed.length}`);
      for (const key of listed) {
        const v = map.read(key);
        if (v) checkValue(key, v[0]!);
      }
      dumps++;
    }
    assert.ok(dumps > 0);
  } finally {
    Atomics.store(control, 1, 1);
  }
  const ops = await Promise.all(done);
  assert.ok(ops.every((o) => o.ops > 0));
  assert.ok(map.keys().length <= 64);
});
