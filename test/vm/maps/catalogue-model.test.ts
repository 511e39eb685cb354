/**
 * Property tests for the rest of the catalogue (issue 3): random operation sequences — full maps, deletes,
 * deletes during iteration, every update flag — through each map type and a plain model of it; every return
 * value must be the kernel's and every entry must agree with the model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../../src/vm/arena.js';
import { MapFlag, MapType } from '../../../src/ebpf/object-spec.js';
import { Errno } from '../../../src/vm/maps/errno.js';
import { createMap, openMap } from '../../../src/vm/maps/registry.js';
import { QueueStackMap } from '../../../src/vm/maps/queue-stack.js';
import { RingbufHdr, RingbufMap } from '../../../src/vm/maps/ringbuf.js';
import { hex, prng, randomBytes, u32Key } from './random.js';

function runLruModel(perCpu: boolean, seed: number): void {
  const cpus = perCpu ? 3 : 1;
  const maxEntries = 12;
  const valueSize = 8;
  const arena = Arena.create({ maxBytes: 16 << 20, cpus });
  const map = createMap(arena, { name: 'lru', type: perCpu ? MapType.LRU_PERCPU_HASH : MapType.LRU_HASH, keySize: 4, valueSize, maxEntries, flags: 0 });
  const zero = '00'.repeat(valueSize);
  // What each present key holds; entries the map evicted are dropped from it after every step.
  const model = new Map<string, string[]>();
  const rand = prng(seed);
  const sync = (step: number): void => {
    const present = new Set(map.keys().map(hex));
    assert.ok(present.size <= maxEntries, `step ${step}: ${present.size} entries in a ${maxEntries}-entry map`);
    for (const k of present) assert.ok(model.has(k), `step ${step}: ${k} present but never inserted (or deleted)`);
    for (const k of [...model.keys()]) if (!present.has(k)) model.delete(k);
    for (const [k, v] of model) assert.deepEqual(map.read(Buffer.from(k, 'hex'))!.map(hex), v, `step ${step}: value of ${k}`);
  };
  for (let step = 0; step < 3000; step++) {
    const key = u32Key(Math.floor(rand() * maxEntries * 3));
    const k = hex(key);
    const op = rand();
    const cpu = Math.floor(rand() * cpus);
    if (op < 0.5) {
      const flags = Math.floor(rand() * 4);
      const value = randomBytes(rand, valueSize);
      const present = model.has(k);
      const full = model.size === maxEntries;
      const r = map.update(key, value, flags, cpu);
      // An update into a full LRU map first frees an entry (kernel: prealloc_lru_pop before the bucket lock),
      // which may be the key itself: then NOEXIST succeeds and EXIST finds nothing.
      if (flags > 2) assert.equal(r, -Errno.EINVAL);
      else if (flags === 1 && present) assert.ok(r === -Errno.EEXIST || (full && r === 0), `step ${step}: NOEXIST gave ${r}`);
      else if (flags === 2 && !present) assert.equal(r, -Errno.ENOENT);
      else if (flags === 2) assert.ok(r === 0 || (full && r === -Errno.ENOENT), `step ${step}: EXIST gave ${r}`);
      else assert.equal(r, 0, `step ${step}: an LRU map never refuses for space`);
      if (r === 0) {
        assert.ok(map.read(key) !== undefined, `step ${step}: ${k} missing right after its update`);
        const fresh = Array.from({ length: cpus }, () => zero);
        const kept = present && flags !== 1 ? [...model.get(k)!] : fresh;
        kept[perCpu ? cpu : 0] = hex(value);
        fresh[perCpu ? cpu : 0] = hex(value);
        // In a full map the key may itself have been the entry freed for this update: then it is new, its
        // other CPUs' slots zeroed.
        const got = map.read(key)!.map(hex);
        if (full && present) assert.ok([kept, fresh].some((w) => w.join() === got.join()), `step ${step}: ${k} holds ${got.join()}`);
        else assert.deepEqual(got, kept, `step ${step}: value of ${k} after its update`);
        model.set(k, got);
      }
    } else if (op < 0.65) {
      assert.equal(map.delete(key), model.delete(k) ? 0 : -Errno.ENOENT, `step ${step} delete ${k}`);
    } else if (op < 0.7) {
      // Delete during iteration: every listed key is deletable exactly once.
      for (const listed of map.keys()) {
        if (rand() < 0.5) { assert.equal(map.delete(listed), 0); model.delete(hex(listed)); }
      }
    } else {
      const addr = map.lookup(key, cpu);
      const want = model.get(k);
      assert.equal(addr !== 0, want !== undefined, `step ${step} lookup ${k}`);
      if (want) assert.equal(hex(arena.u8.subarray(addr, addr + valueSize)), want[perCpu ? cpu : 0]);
    }
    sync(step);
  }
  assert.equal(openMap(arena, 'lru', map.addr).keys().length, model.size);
}

test('LRU_HASH: bounded by max_entries, newest key present after its insert, values agree with the model', () => {
  for (const seed of [11, 12, 13]) runLruModel(false, seed);
});

test('LRU_PERCPU_HASH: the same, per CPU slot, new entries zeroed on other CPUs', () => {
  for (const seed of [14, 15]) runLruModel(true, seed);
});

/** A prefix: its length and its data with the bits past the length cleared. */
interface Prefix { readonly len: number; readonly data: Uint8Array }

function masked(data: Uint8Array, len: number): Uint8Array {
  return data.map((b, i) => (i * 8 >= len ? 0 : i * 8 + 8 <= len ? b : b & ((0xff << (8 - (len - i * 8))) & 0xff)));
}

function lpmKey(len: number, data: Uint8Array): Uint8Array {
  const k = new Uint8Array(4 + data.length);
  new DataView(k.buffer).setUint32(0, len, true);
  k.set(data, 4);
  return k;
}

function runLpmModel(dataSize: number, seed: number): void {
  const maxEntries = 10;
  const bits = dataSize * 8;
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 1 });
  const map = createMap(arena, { name: 'lpm', type: MapType.LPM_TRIE, keySize: 4 + dataSize, valueSize: 4, maxEntries, flags: MapFlag.NO_PREALLOC });
  const model = new Map<string, { p: Prefix; value: string }>();
  const id = (len: number, data: Uint8Array): string => `${len}/${hex(masked(data, len))}`;
  const rand = prng(seed);
  // Addresses from a few nearby networks so prefixes nest and overlap.
  const nets = Array.from({ length: 3 }, () => randomBytes(rand, dataSize));
  const addr = (): Uint8Array => { const a = nets[Math.floor(rand() * nets.length)]!.slice(); a[dataSize - 1 - Math.floor(rand() * 2)] = Math.floor(rand() * 256); return a; };
  const len = (): number => (rand() < 0.05 ? bits + 1 + Math.floor(rand() * 8) : Math.floor(rand() * (bits + 1)));
  for (let step = 0; step < 2500; step++) {
    const l = len();
    const data = addr();
    const key = lpmKey(l, data);
    const op = rand();
    if (op < 0.45) {
      const flags = Math.floor(rand() * 4);
      const value = randomBytes(rand, 4);
      const present = model.has(id(l, data));
      let want = 0;
      if (flags > 2 || l > bits) want = -Errno.EINVAL;
      else if (flags === 1 && present) want = -Errno.EEXIST;
      else if (flags === 2 && !present) want = -Errno.ENOENT;
      else if (!present && model.size === maxEntries) want = -Errno.ENOSPC;
      assert.equal(map.update(key, value, flags, 0), want, `step ${step} update ${l}/${hex(data)} flags ${flags}`);
      if (want === 0) model.set(id(l, data), { p: { len: l, data: masked(data, l) }, value: hex(value) });
    } else if (op < 0.65) {
      assert.equal(map.delete(key), model.delete(id(l, data)) ? 0 : -Errno.ENOENT, `step ${step} delete`);
    } else if (op < 0.68) {
      for (const listed of map.keys()) {
        if (rand() < 0.3) {
          assert.equal(map.delete(listed), 0);
          const ll = new DataView(listed.buffer).getUint32(0, true);
          assert.ok(model.delete(id(ll, listed.subarray(4))));
        }
      }
    } else {
      // Longest prefix by brute force: stored prefixes no longer than the key's, matching its masked data.
      const limit = Math.min(l, bits);
      let best: { p: Prefix; value: string } | undefined;
      for (const e of model.values()) {
        if (e.p.len <= limit && hex(masked(data, e.p.len)) === hex(e.p.data) && (!best || e.p.len > best.p.len)) best = e;
      }
      const a = map.lookup(key, 0);
      assert.equal(a !== 0, best !== undefined, `step ${step} lookup ${l}/${hex(data)}`);
      if (best) assert.equal(hex(arena.u8.subarray(a, a + 4)), best.value, `step ${step} lookup value`);
    }
  }
  const listed = map.keys().map((k) => id(new DataView(k.buffer).getUint32(0, true), k.subarray(4)));
  assert.deepEqual(listed.sort(), [...model.keys()].sort());
}

test('LPM_TRIE (IPv4 keys) agrees with a brute-force longest-prefix model; EINVAL past 32 bits, ENOSPC when full', () => {
  for (const seed of [21, 22, 23]) runLpmModel(4, seed);
});

test('LPM_TRIE (IPv6 keys) agrees with the brute-force model; EINVAL past 128 bits', () => {
  for (const seed of [24, 25]) runLpmModel(16, seed);
});

interface SlotCase { readonly type: number; readonly valueSize: number; readonly fdArray: boolean }

function runSlotModel(c: SlotCase, seed: number): void {
  const maxEntries = 6;
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 8 });
  const map = createMap(arena, { name: 's', type: c.type, keySize: 4, valueSize: c.valueSize, maxEntries, flags: 0 });
  const model = new Map<number, string>();
  const rand = prng(seed);
  for (let step = 0; step < 1500; step++) {
    const i = Math.floor(rand() * (maxEntries + 2));
    const key = u32Key(i);
    const op = rand();
    if (op < 0.5) {
      const flags = Math.floor(rand() * 4);
      const value = new Uint8Array(c.valueSize);
      const word = Math.floor(rand() * 5); // 0 empties a DEVMAP / CPUMAP slot
      new DataView(value.buffer).setUint32(0, word, true);
      // struct bpf_devmap_val's / bpf_cpumap_val's bpf_prog: program id 1, or fd -1 (libbpf's "none", read back as id 0).
      const progWord = c.valueSize === 8 ? [0, 0, 0, 1, 0xffffffff][Math.floor(rand() * 5)]! : 0;
      if (c.valueSize === 8) new DataView(value.buffer).setUint32(4, progWord, true);
      const filled = model.has(i);
      let want = 0;
      if (flags > 2 || (c.fdArray && flags !== 0)) want = -Errno.EINVAL;
      else if (i >= maxEntries) want = -Errno.E2BIG;
      else if (c.type === MapType.XSKMAP ? flags === 1 && filled : flags === 1) want = -Errno.EEXIST;
      else if (c.type === MapType.XSKMAP && flags === 2 && !filled) want = -Errno.ENOENT;
      // devmap.c: "can not specify fd if ifindex is 0"; a CPUMAP slot takes a program (cpumap-value.ts).
      else if (c.type === MapType.DEVMAP && word === 0 && progWord === 1) want = -Errno.EINVAL;
      assert.equal(map.write(key, [value], flags), want, `step ${step} write ${i}=${hex(value)} flags ${flags}`);
      if (want === 0) {
        const empties = word === 0 && (c.type === MapType.DEVMAP || c.type === MapType.CPUMAP);
        if (progWord === 0xffffffff) value.fill(0, 4, 8);
        if (empties) model.delete(i); else model.set(i, hex(value));
      }
    } else if (op < 0.7) {
      const filled = model.delete(i);
      let want = 0;
      if (i >= maxEntries) want = c.fdArray ? -Errno.E2BIG : -Errno.EINVAL;
      else if (c.fdArray && !filled) want = -Errno.ENOENT;
      assert.equal(map.delete(key), want, `step ${step} delete ${i}`);
    } else {
      assert.deepEqual(map.read(key)?.map(hex), model.has(i) ? [model.get(i)!] : undefined, `step ${step} read ${i}`);
    }
  }
  assert.deepEqual(map.keys().map((k) => new DataView(k.buffer).getUint32(0, true)), [...model.keys()].sort((a, b) => a - b));
}

test('DEVMAP / CPUMAP / XSKMAP / PROG_ARRAY / ARRAY_OF_MAPS slots agree with a model; kernel errors', () => {
  const cases: SlotCase[] = [
    { type: MapType.DEVMAP, valueSize: 4, fdArray: false },
    { type: MapType.DEVMAP, valueSize: 8, fdArray: false },
    { type: MapType.CPUMAP, valueSize: 4, fdArray: false },
    { type: MapType.CPUMAP, valueSize: 8, fdArray: false },
    { type: MapType.XSKMAP, valueSize: 4, fdArray: false },
    { type: MapType.PROG_ARRAY, valueSize: 4, fdArray: true },
    { type: MapType.ARRAY_OF_MAPS, valueSize: 4, fdArray: true },
  ];
  cases.forEach((c, n) => runSlotModel(c, 31 + n));
});

test('DEVMAP_HASH / HASH_OF_MAPS agree with a hash model: E2BIG when full, EEXIST, ENOENT, EINVAL on ifindex 0', () => {
  for (const type of [MapType.DEVMAP_HASH, MapType.HASH_OF_MAPS]) {
    const arena = Arena.create({ maxBytes: 16 << 20, cpus: 1 });
    const map = createMap(arena, { name: 'h', type, keySize: 4, valueSize: 4, maxEntries: 5, flags: 0 });
    const model = new Map<number, string>();
    const rand = prng(41 + type);
    for (let step = 0; step < 1500; step++) {
      const i = Math.floor(rand() * 12);
      const key = u32Key(i);
      if (rand() < 0.6) {
        const flags = Math.floor(rand() * 4);
        const value = u32Key(Math.floor(rand() * 4));
        const present = model.has(i);
        let want = 0;
        if (flags > 2) want = -Errno.EINVAL;
        else if (type === MapType.DEVMAP_HASH && value[0] === 0) want = -Errno.EINVAL;
        else if (flags === 1 && present) want = -Errno.EEXIST;
        else if (flags === 2 && !present) want = -Errno.ENOENT;
        else if (!present && model.size === 5) want = -Errno.E2BIG;
        assert.equal(map.write(key, [value], flags), want, `step ${step} write ${i} flags ${flags}`);
        if (want === 0) model.set(i, hex(value));
      } else {
        assert.equal(map.delete(key), model.delete(i) ? 0 : -Errno.ENOENT);
      }
    }
    assert.deepEqual(map.keys().map((k) => new DataView(k.buffer).getUint32(0, true)).sort((a, b) => a - b), [...model.keys()].sort((a, b) => a - b));
  }
});

test('QUEUE is FIFO and STACK LIFO against an array model: E2BIG when full, BPF_EXIST drops the oldest, ENOENT empty', () => {
  for (const type of [MapType.QUEUE, MapType.STACK]) {
    const arena = Arena.create({ maxBytes: 16 << 20, cpus: 1 });
    const maxEntries = 5;
    const map = createMap(arena, { name: 'q', type, keySize: 0, valueSize: 3, maxEntries, flags: 0 }) as QueueStackMap;
    const model: string[] = [];
    const rand = prng(51 + type);
    const dst = arena.alloc(64, 'scratch');
    for (let step = 0; step < 2000; step++) {
      const op = rand();
      if (op < 0.5) {
        const flags = Math.floor(rand() * 4);
        const value = randomBytes(rand, 3);
        let want = 0;
        if (flags !== 0 && flags !== 2) want = -Errno.EINVAL;
        else if (model.length === maxEntries && flags === 0) want = -Errno.E2BIG;
        assert.equal(map.push(value, flags), want, `step ${step} push flags ${flags}`);
        if (want === 0) { if (model.length === maxEntries) model.shift(); model.push(hex(value)); }
      } else {
        const remove = op < 0.85;
        const want = type === MapType.QUEUE ? model[0] : model[model.length - 1];
        assert.equal(map.take(dst, remove), want === undefined ? -Errno.ENOENT : 0, `step ${step} take`);
        if (want !== undefined) {
          assert.equal(hex(arena.u8.subarray(dst, dst + 3)), want, `step ${step} element`);
          if (remove) { if (type === MapType.QUEUE) model.shift(); else model.pop(); }
        }
      }
    }
  }
});

test('RINGBUF: records in reservation order, submit/discard out of order, wrap-around, full at mask bytes ahead', () => {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 1 });
  const size = 4096;
  const rb = createMap(arena, { name: 'rb', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: size, flags: 0 }) as RingbufMap;
  const rand = prng(61);
  const u32 = arena.u32;
  const consIdx = (rb.addr + RingbufHdr.CONSUMER_POS) >>> 2;
  // Reserved records in reservation order, as a consumer sees them: sample address, length, state.
  const pending: Array<{ sample: number; len: number; bytes: string; state: 'busy' | 'submitted' | 'discarded' }> = [];
  let delivered = 0;
  let wrapped = false;
  // The consumer: takes committed records from the front, in order, and stops at the first busy one.
  const consume = (): void => {
    while (pending.length > 0 && pending[0]!.state !== 'busy') {
      const r = pending.shift()!;
      const hdr = u32[(r.sample - 8) >>> 2]!;
      assert.equal(hdr & 0x3fffffff, r.len);
      assert.equal((hdr & (1 << 30)) !== 0, r.state === 'discarded');
      if (r.state === 'submitted') { assert.equal(hex(arena.u8.subarray(r.sample, r.sample + r.len)), r.bytes); delivered++; }
      Atomics.store(u32, consIdx, (u32[consIdx]! + ((r.len + 8 + 7) & ~7)) >>> 0);
    }
  };
  for (let step = 0; step < 3000; step++) {
    const op = rand();
    if (op < 0.45) {
      const len = 1 + Math.floor(rand() * 300);
      const used = rb.query(0);
      const sample = rb.reserve(len);
      const fits = used + ((len + 8 + 7) & ~7) <= size - 1;
      assert.equal(sample !== 0, fits, `step ${step}: reserve ${len} with ${used} used`);
      if (sample !== 0) {
        const bytes = randomBytes(rand, len);
        arena.u8.set(bytes, sample);
        if (sample + len > rb.valueStart + size) wrapped = true;
        assert.ok(rb.isReserved(sample));
        pending.push({ sample, len, bytes: hex(bytes), state: 'busy' });
      }
    } else if (op < 0.8) {
      const busy = pending.filter((r) => r.state === 'busy');
      if (busy.length === 0) continue;
      const r = busy[Math.floor(rand() * busy.length)]!;
      const discard = rand() < 0.3;
      const out = rb.commit(r.sample, discard);
      assert.equal(out === undefined, discard);
      if (out) assert.equal(hex(out), r.bytes);
      r.state = discard ? 'discarded' : 'submitted';
      assert.ok(!rb.isReserved(r.sample));
    } else {
      consume();
    }
    assert.equal(rb.query(3) - rb.query(2), rb.query(0));
  }
  assert.ok(wrapped, 'the sequence wrapped around the ring');
  assert.ok(delivered > 100);
});
