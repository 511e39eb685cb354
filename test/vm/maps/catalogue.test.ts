/** The rest of the map catalogue: LRU eviction, slot arrays, queue/stack order, ring buffer arithmetic. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../../src/vm/arena.js';
import { createMap } from '../../../src/vm/maps/registry.js';
import { Errno } from '../../../src/vm/maps/errno.js';
import { MapType } from '../../../src/ebpf/object-spec.js';
import { QueueStackMap } from '../../../src/vm/maps/queue-stack.js';
import { RingbufMap } from '../../../src/vm/maps/ringbuf.js';

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const arena = (): Arena => Arena.create({ maxBytes: 16 << 20, cpus: 2 });

test('LRU_HASH never refuses for space: it evicts, keeps the newest entry, and values stay right', () => {
  const a = arena();
  const m = createMap(a, { name: 'l', type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 8, flags: 0 });
  const model = new Map<string, string>();
  for (let i = 0; i < 500; i++) {
    const k = u32((i * 7919) % 37);
    const v = u32(i);
    assert.equal(m.update(k, v, 0, 0), 0);
    model.set(hex(k), hex(v));
    assert.notEqual(m.lookup(k, 0), 0, 'the entry just written is present');
    const keys = m.keys().map(hex);
    assert.ok(keys.length <= 8);
    for (const key of keys) assert.equal(hex(m.read(Buffer.from(key, 'hex'))![0]!), model.get(key));
  }
});

test('LRU eviction gives a referenced entry a second chance', () => {
  const a = arena();
  const m = createMap(a, { name: 'l', type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 });
  for (let k = 0; k < 4; k++) m.update(u32(k), u32(k), 0, 0);
  m.lookup(u32(0), 0); // oldest, but referenced
  assert.equal(m.update(u32(4), u32(4), 0, 0), 0);
  assert.deepEqual(m.keys().map(hex).sort(), [0, 2, 3, 4].map((k) => hex(u32(k))));
});

test('LRU_PERCPU_HASH keeps per-CPU slots and evicts whole entries', () => {
  const m = createMap(arena(), { name: 'l', type: MapType.LRU_PERCPU_HASH, keySize: 4, valueSize: 8, maxEntries: 2, flags: 0 });
  m.update(u32(1), new Uint8Array(8).fill(1), 0, 1);
  assert.deepEqual(m.read(u32(1))!.map(hex), ['0000000000000000', '0101010101010101']);
  m.update(u32(2), new Uint8Array(8), 0, 0);
  m.update(u32(3), new Uint8Array(8), 0, 0);
  assert.equal(m.keys().length, 2);
});

test('DEVMAP / CPUMAP / PROG_ARRAY slots: empty slots read as absent; kernel errors for bad writes', () => {
  const a = arena();
  const dev = createMap(a, { name: 'd', type: MapType.DEVMAP, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 });
  assert.equal(dev.lookup(u32(1), 0), 0);
  assert.equal(dev.write(u32(1), [Uint8Array.of(5, 0, 0, 0, 0, 0, 0, 0)], 0), 0);
  assert.equal(a.u32[dev.lookup(u32(1), 0) >>> 2], 5);
  // struct bpf_devmap_val naming devmap program 9 (devmap-value.ts); fd -1 is "no program", read back as 0.
  assert.equal(dev.write(u32(2), [Uint8Array.of(5, 0, 0, 0, 9, 0, 0, 0)], 0), 0);
  assert.deepEqual(dev.read(u32(2))?.map(hex), [hex(Uint8Array.of(5, 0, 0, 0, 9, 0, 0, 0))]);
  assert.equal(dev.write(u32(2), [Uint8Array.of(5, 0, 0, 0, 0xff, 0xff, 0xff, 0xff)], 0), 0);
  assert.deepEqual(dev.read(u32(2))?.map(hex), [hex(Uint8Array.of(5, 0, 0, 0, 0, 0, 0, 0))]);
  assert.equal(dev.write(u32(3), [Uint8Array.of(0, 0, 0, 0, 9, 0, 0, 0)], 0), -Errno.EINVAL); // program without ifindex
  assert.equal(dev.delete(u32(2)), 0);
  assert.equal(dev.write(u32(4), [new Uint8Array(8)], 0), -Errno.E2BIG);
  assert.equal(dev.write(u32(1), [new Uint8Array(8)], 0), 0); // ifindex 0 empties the slot
  assert.deepEqual(dev.keys(), []);
  const cpu = createMap(a, { name: 'c', type: MapType.CPUMAP, keySize: 4, valueSize: 4, maxEntries: 8, flags: 0 });
  assert.equal(cpu.write(u32(1), [u32(16385)], 0), -75); // EOVERFLOW
  assert.equal(cpu.write(u32(5), [u32(64)], 0), -19); // ENODEV: the arena has 2 CPUs
  assert.equal(cpu.write(u32(1), [u32(64)], 0), 0);
  assert.deepEqual(cpu.keys().map(hex), [hex(u32(1))]);
  const dh = createMap(a, { name: 'dh', type: MapType.DEVMAP_HASH, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 });
  assert.equal(dh.write(u32(100), [u32(0)], 0), -Errno.EINVAL);
  assert.equal(dh.write(u32(100), [u32(3)], 0), 0);
  assert.equal(dh.update(u32(101), u32(3), 0, 0), -Errno.EOPNOTSUPP);
  const dh8 = createMap(a, { name: 'dh8', type: MapType.DEVMAP_HASH, keySize: 4, valueSize: 8, maxEntries: 2, flags: 0 });
  assert.equal(dh8.write(u32(7), [Uint8Array.of(3, 0, 0, 0, 4, 0, 0, 0)], 0), 0);
  assert.deepEqual(dh8.read(u32(7))?.map(hex), [hex(Uint8Array.of(3, 0, 0, 0, 4, 0, 0, 0))]);
  assert.equal(dh8.write(u32(8), [Uint8Array.of(3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff)], 0), 0);
  assert.deepEqual(dh8.read(u32(8))?.map(hex), [hex(Uint8Array.of(3, 0, 0, 0, 0, 0, 0, 0))]);
  assert.equal(dh8.write(u32(9), [Uint8Array.of(0, 0, 0, 0, 4, 0, 0, 0)], 0), -Errno.EINVAL);
});

test('QUEUE is FIFO, STACK is LIFO; full → E2BIG unless BPF_EXIST overwrites the oldest; empty → ENOENT', () => {
  const a = arena();
  const dst = a.alloc(8, 'dst');
  const pops = (m: QueueStackMap): number[] => {
    const out: number[] = [];
    while (m.take(dst, true) === 0) out.push(a.u32[dst >>> 2]!);
    return out;
  };
  for (const [type, want] of [[MapType.QUEUE, [2, 3, 4]], [MapType.STACK, [4, 3, 2]]] as const) {
    const m = createMap(a, { name: 'q', type, keySize: 0, valueSize: 4, maxEntries: 3, flags: 0 }) as QueueStackMap;
    assert.equal(m.take(dst, false), -Errno.ENOENT);
    for (const v of [1, 2, 3]) assert.equal(m.push(u32(v), 0), 0);
    assert.equal(m.push(u32(9), 0), -Errno.E2BIG);
    assert.equal(m.push(u32(9), 1), -Errno.EINVAL);
    assert.equal(m.push(u32(4), 2), 0);
    assert.equal(m.take(dst, false), 0);
    assert.equal(a.u32[dst >>> 2], want[0]);
    assert.deepEqual(pops(m), want);
  }
});

test('RINGBUF: 8-byte headers, 8-byte rounding, fills at mask bytes ahead of the consumer; query figures', () => {
  const a = arena();
  const rb = createMap(a, { name: 'rb', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 }) as RingbufMap;
  let n = 0;
  for (let r = rb.reserve(20); r !== 0; r = rb.reserve(20)) {
    a.u8.fill(n & 0xff, r, r + 20);
    assert.deepEqual(rb.commit(r, n % 2 === 1), n % 2 === 1 ? undefined : new Uint8Array(20).fill(n & 0xff));
    n++;
  }
  assert.equal(n, Math.floor(4095 / 32));
  assert.equal(rb.query(0), n * 32);
  assert.equal(rb.query(1), 4096);
  assert.equal(rb.reserve(4096 - 8 + 1), 0);
  assert.throws(() => createMap(a, { name: 'x', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 5000, flags: 0 }));
});

test('LPM_TRIE: longest prefix within the key length wins; kernel errors', () => {
  const a = arena();
  const m = createMap(a, { name: 'lpm', type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 3, flags: 1 });
  const key = (len: number, ...ip: number[]): Uint8Array => Uint8Array.of(len, 0, 0, 0, ...ip);
  const at = (k: Uint8Array): number | undefined => { const v = m.lookup(k, 0); return v === 0 ? undefined : a.u32[v >>> 2]; };
  assert.equal(m.write(key(8, 10, 0, 0, 0), [u32(1)], 0), 0);
  assert.equal(m.write(key(16, 10, 1, 0, 0), [u32(2)], 0), 0);
  assert.equal(at(key(32, 10, 1, 2, 3)), 2);
  assert.equal(at(key(32, 10, 2, 0, 0)), 1);
  assert.equal(at(key(8, 10, 1, 2, 3)), 1);
  assert.equal(at(key(32, 11, 1, 2, 3)), undefined);
  assert.equal(m.write(key(16, 10, 1, 9, 9), [u32(3)], 1), -Errno.EEXIST); // same /16: one entry
  assert.equal(m.write(key(33, 10, 1, 9, 9), [u32(3)], 0), -Errno.EINVAL);
  assert.equal(m.write(key(24, 192, 168, 7, 0), [u32(4)], 0), 0);
  assert.equal(m.write(key(24, 192, 168, 8, 0), [u32(5)], 0), -Errno.ENOSPC);
  assert.equal(m.delete(key(24, 192, 168, 8, 0)), -Errno.ENOENT);
  assert.equal(m.delete(key(16, 10, 1, 0, 0)), 0);
  assert.equal(at(key(32, 10, 1, 2, 3)), 1);
  assert.throws(() => createMap(a, { name: 'p', type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 3, flags: 0 }));
});

test('BLOOM_FILTER: pushed values are always found; most others are not; only BPF_ANY pushes', async () => {
  const { BloomFilterMap } = await import('../../../src/vm/maps/bloom-filter.js');
  const m = createMap(arena(), { name: 'b', type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 100, flags: 0 });
  assert.ok(m instanceof BloomFilterMap);
  for (let i = 0; i < 100; i++) assert.equal(m.push(u32(i * 3), 0), 0);
  for (let i = 0; i < 100; i++) assert.equal(m.peek(u32(i * 3)), 0);
  let absent = 0;
  for (let i = 0; i < 300; i++) if (m.peek(u32(100000 + i)) === -Errno.ENOENT) absent++;
  assert.ok(absent > 250, `false positives ${300 - absent}/300`);
  assert.equal(m.push(u32(1), 2), -Errno.EINVAL);
});
