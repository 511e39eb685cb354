/**
 * design.md §2: several CPUs update one shared map concurrently, and the wasm helpers (jit/lower-map-hash.ts)
 * take the same locks with the same atomics as the TS map, so wasm CPUs and a TS writer can churn one map at
 * once. Three workers (two through wasm, one through HashMap) run a fixed number of updates that evict,
 * deletes and lookups; afterwards the map's structure must be whole: every entry either in exactly one
 * bucket chain (the right bucket, keys unique) or on the free list, the count equal to the chained entries,
 * for LRU maps the LRU list holding exactly the chained entries with consistent links, and no lock held.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { MapType } from '../../src/ebpf/object-spec.js';
import { Arena } from '../../src/vm/arena.js';
import { Bucket, BUCKET_SIZE, HashEntry, HashHdr, LruNode } from '../../src/vm/maps/hash.js';
import { MapHdr } from '../../src/vm/maps/map-header.js';
import { keyHash } from '../../src/vm/maps/key-hash.js';
import { createMap } from '../../src/vm/maps/registry.js';
import type { ChurnData } from './map-churn-worker.js';

function checkStructure(arena: Arena, addr: number): { chained: number } {
  const u32 = arena.u32;
  const u8 = arena.u8;
  const r = (off: number): number => u32[(addr + off) >>> 2]!;
  const maxEntries = r(MapHdr.MAX_ENTRIES);
  const keySize = r(MapHdr.KEY_SIZE);
  const nBuckets = r(HashHdr.N_BUCKETS);
  const buckets = r(HashHdr.BUCKETS);
  const lruOff = r(HashHdr.LRU_OFF);
  const seen = new Set<number>();
  const keys = new Set<string>();
  for (let b = 0; b < nBuckets; b++) {
    const bucket = buckets + b * BUCKET_SIZE;
    assert.equal(u32[(bucket + Bucket.LOCK) >>> 2], 0, `bucket ${b} left locked`);
    for (let e = u32[(bucket + Bucket.HEAD) >>> 2]!; e !== 0; e = u32[(e + HashEntry.NEXT) >>> 2]!) {
      assert.ok(!seen.has(e), `entry 0x${e.toString(16)} chained twice`);
      seen.add(e);
      const hash = u32[(e + HashEntry.HASH) >>> 2]!;
      assert.equal(hash, keyHash(u8, e + HashEntry.KEY, keySize, r(HashHdr.SEED)), 'stored hash is the key\'s');
      assert.equal(hash & (nBuckets - 1), b, 'entry in its hash\'s bucket');
      const key = Buffer.from(u8.subarray(e + HashEntry.KEY, e + HashEntry.KEY + keySize)).toString('hex');
      assert.ok(!keys.has(key), `key ${key} present twice`);
      keys.add(key);
    }
  }
  assert.equal(r(MapHdr.COUNT), seen.size, 'count = chained entries');
  assert.equal(r(HashHdr.FREE_LOCK), 0, 'free list left locked');
  let free = 0;
  for (let e = r(HashHdr.FREE_HEAD); e !== 0; e = u32[(e + HashEntry.NEXT) >>> 2]!) {
    assert.ok(!seen.has(e), `entry 0x${e.toString(16)} both chained and free`);
    free++;
    assert.ok(free <= maxEntries, 'free list loops');
  }
  assert.equal(seen.size + free, maxEntries, 'every entry chained or free');
  if (lruOff !== 0) {
    assert.equal(r(HashHdr.LRU_LOCK), 0, 'LRU list left locked');
    let prev = 0;
    let listed = 0;
    for (let e = r(HashHdr.LRU_HEAD); e !== 0; prev = e, e = u32[(e + lruOff + LruNode.NEXT) >>> 2]!) {
      assert.ok(seen.has(e), `LRU entry 0x${e.toString(16)} not chained`);
      assert.equal(u32[(e + lruOff + LruNode.PREV) >>> 2], prev, 'LRU prev link');
      listed++;
      assert.ok(listed <= maxEntries, 'LRU list loops');
    }
    assert.equal(r(HashHdr.LRU_TAIL), prev, 'LRU tail');
    assert.equal(listed, seen.size, 'LRU list = chained entries');
  }
  return { chained: seen.size };
}

async function churn(type: number, maxEntries: number, keySpace: number): Promise<void> {
  const arena = Arena.create({ maxBytes: 32 << 20, cpus: 3 });
  const map = createMap(arena, { name: 'churn', type, keySize: 8, valueSize: 24, maxEntries, flags: 0 });
  const control = new Int32Array(new SharedArrayBuffer(4));
  const engines = ['wasm', 'wasm', 'ts'] as const;
  const workers = engines.map((engine, cpu) => {
    const data: ChurnData = { memory: arena.memory, addr: map.addr, cpu, engine, ops: engine === 'wasm' ? 60000 : 20000, keySpace, control, workers: engines.length };
    return new Worker(new URL('./map-churn-worker.js', import.meta.url), { workerData: data });
  });
  const results = await Promise.all(workers.map((w) => new Promise<{ ok: number }>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); })));
  await Promise.all(workers.map((w) => w.terminate()));
  for (const r of results) assert.ok(r.ok > 1000, `a worker's operations almost all failed (${r.ok} succeeded)`);
  const { chained } = checkStructure(arena, map.addr);
  assert.ok(chained > 0);
}

/** A broken lock discipline can also corrupt a chain into a cycle a walk never leaves: that fails by timeout. */
const HANG = { timeout: 120_000 };

test('LRU_HASH churned by two wasm CPUs and one TS CPU at once stays whole (evictions, deletes, lookups)', HANG, async () => {
  await churn(MapType.LRU_HASH, 32, 100);
});

test('HASH churned by two wasm CPUs and one TS CPU at once stays whole (full map, deletes, lookups)', HANG, async () => {
  await churn(MapType.HASH, 48, 64);
});
