/**
 * Property tests: random operation sequences (including a full map, deletes, every update flag) through each
 * map type and through a plain JS Map model; every return value and, at the end, every entry must agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../../src/vm/arena.js';
import { createMap, openMap } from '../../../src/vm/maps/registry.js';
import { Errno } from '../../../src/vm/maps/errno.js';
import { MapType } from '../../../src/ebpf/object-spec.js';
import type { BpfMap } from '../../../src/vm/maps/bpf-map.js';
import { hex, prng, randomBytes } from './random.js';

interface Case { type: number; keySize: number; valueSize: number; maxEntries: number; cpus: number }

function runHashModel(c: Case, seed: number): void {
  const arena = Arena.create({ maxBytes: 64 << 20, cpus: c.cpus });
  const map = createMap(arena, { name: 'm', type: c.type, keySize: c.keySize, valueSize: c.valueSize, maxEntries: c.maxEntries, flags: 0 });
  const perCpu = c.type === MapType.PERCPU_HASH;
  const model = new Map<string, string[]>();
  const rand = prng(seed);
  // Keys from a small space so that collisions, re-inserts and deletes of present keys are frequent.
  const keyOf = (): Uint8Array => { const k = new Uint8Array(c.keySize); k[0] = Math.floor(rand() * c.maxEntries * 2); k[c.keySize - 1] ^= k[0]! & 3; return k; };
  for (let step = 0; step < 3000; step++) {
    const key = keyOf();
    const k = hex(key);
    const op = rand();
    if (op < 0.55) {
      const flags = Math.floor(rand() * 4); // 3 is invalid
      const cpu = Math.floor(rand() * c.cpus);
      const value = randomBytes(rand, c.valueSize);
      const present = model.has(k);
      let want = 0;
      if (flags > 2) want = -Errno.EINVAL;
      else if (flags === 1 && present) want = -Errno.EEXIST;
      else if (flags === 2 && !present) want = -Errno.ENOENT;
      else if (!present && model.size >= c.maxEntries) want = -Errno.E2BIG;
      assert.equal(map.update(key, value, flags, cpu), want, `step ${step} update ${k} flags ${flags}`);
      if (want === 0) {
        const zero = hex(new Uint8Array(c.valueSize));
        const cur = model.get(k) ?? Array.from({ length: perCpu ? c.cpus : 1 }, () => zero);
        cur[perCpu ? cpu : 0] = hex(value);
        model.set(k, cur);
      }
    } else if (op < 0.8) {
      assert.equal(map.delete(key), model.delete(k) ? 0 : -Errno.ENOENT, `step ${step} delete ${k}`);
    } else {
      const cpu = Math.floor(rand() * c.cpus);
      const addr = map.lookup(key, cpu);
      const want = model.get(k);
      assert.equal(addr !== 0, want !== undefined, `step ${step} lookup ${k}`);
      if (want) assert.equal(hex(arena.u8.subarray(addr, addr + c.valueSize)), want[perCpu ? cpu : 0]);
      if (addr) assert.ok(map.containsValue(addr, c.valueSize));
    }
  }
  const reopened = openMap(arena, 'm', map.addr);
  assert.deepEqual(reopened.keys().map(hex).sort(), [...model.keys()].sort());
  for (const [k, v] of model) assert.deepEqual(reopened.read(Buffer.from(k, 'hex'))!.map(hex), v);
}

test('HASH agrees with a JS Map model over random operations', () => {
  for (const seed of [1, 2, 3]) runHashModel({ type: MapType.HASH, keySize: 6, valueSize: 12, maxEntries: 16, cpus: 1 }, seed);
});

test('PERCPU_HASH agrees with the model, per CPU slot, new entries zeroed on other CPUs', () => {
  for (const seed of [4, 5]) runHashModel({ type: MapType.PERCPU_HASH, keySize: 4, valueSize: 8, maxEntries: 8, cpus: 3 }, seed);
});

function runArrayModel(perCpu: boolean, seed: number): void {
  const cpus = perCpu ? 2 : 1;
  const arena = Arena.create({ maxBytes: 16 << 20, cpus });
  const maxEntries = 10;
  const valueSize = 6;
  const map = createMap(arena, { name: 'a', type: perCpu ? MapType.PERCPU_ARRAY : MapType.ARRAY, keySize: 4, valueSize, maxEntries, flags: 0 });
  const model: string[][] = Array.from({ length: maxEntries }, () => Array.from({ length: cpus }, () => '00'.repeat(valueSize)));
  const rand = prng(seed);
  for (let step = 0; step < 2000; step++) {
    const idx = Math.floor(rand() * (maxEntries + 3));
    const key = new Uint8Array(new Uint32Array([idx]).buffer);
    const op = rand();
    const cpu = Math.floor(rand() * cpus);
    if (op < 0.5) {
      const flags = Math.floor(rand() * 4);
      const value = randomBytes(rand, valueSize);
      let want = 0;
      if (flags > 2) want = -Errno.EINVAL;
      else if (idx >= maxEntries) want = -Errno.E2BIG;
      else if (flags === 1) want = -Errno.EEXIST;
      assert.equal(map.update(key, value, flags, cpu), want);
      if (want === 0) model[idx]![cpu] = hex(value);
    } else if (op < 0.6) {
      assert.equal(map.delete(key), -Errno.EINVAL);
    } else {
      const addr = map.lookup(key, cpu);
      assert.equal(addr !== 0, idx < maxEntries);
      if (addr) assert.equal(hex(arena.u8.subarray(addr, addr + valueSize)), model[idx]![cpu]);
    }
  }
  assert.equal(map.keys().length, maxEntries);
  model.forEach((v, i) => assert.deepEqual(map.read(new Uint8Array(new Uint32Array([i]).buffer))!.map(hex), v));
}

test('ARRAY agrees with an array model (E2BIG past the end, EEXIST for NOEXIST, delete EINVAL)', () => {
  runArrayModel(false, 7);
});

test('PERCPU_ARRAY keeps one slot per CPU, each on its own cache line', () => {
  runArrayModel(true, 8);
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 4 });
  const m: BpfMap = createMap(arena, { name: 'p', type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 });
  const k0 = new Uint8Array(4);
  const lines = new Set([0, 1, 2, 3].map((c) => m.lookup(k0, c) >>> 6));
  assert.equal(lines.size, 4);
});

test('control-plane write broadcasts one value to every CPU', () => {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 3 });
  const m = createMap(arena, { name: 'p', type: MapType.PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 });
  const k = Uint8Array.of(1, 0, 0, 0);
  assert.equal(m.write(k, [Uint8Array.of(9, 9, 9, 9)], 0), 0);
  assert.deepEqual(m.read(k)!.map(hex), ['09090909', '09090909', '09090909']);
  assert.equal(m.write(k, [new Uint8Array(4), new Uint8Array(4)], 0), -Errno.EINVAL);
});
