import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena, ArenaFullError, BLOCK_ALIGN } from '../../src/vm/arena.js';
import { HEAP_BASE } from '../../src/vm/arena-layout.js';
import { createMap } from '../../src/vm/maps/registry.js';
import { MapType } from '../../src/ebpf/object-spec.js';

test('allocations are zeroed, cache-line aligned, above the fixed regions, and grow the memory on demand', () => {
  const arena = Arena.create({ maxBytes: 8 << 20 });
  const before = arena.memory.buffer.byteLength;
  const a = arena.alloc(100, 'a');
  const b = arena.alloc(3 << 20, 'b');
  assert.ok(a >= HEAP_BASE && a % BLOCK_ALIGN === 0 && b % BLOCK_ALIGN === 0 && b >= a + 100);
  assert.ok(arena.memory.buffer.byteLength > before);
  assert.ok(arena.u8.subarray(b, b + (3 << 20)).every((x) => x === 0));
});

test('freed blocks are reused', () => {
  const arena = Arena.create({ maxBytes: 8 << 20 });
  const a = arena.alloc(4096, 'slot');
  arena.u8[a] = 7;
  arena.free(a);
  const b = arena.alloc(1000, 'smaller');
  assert.equal(b, a);
  assert.equal(arena.u8[b], 0);
});

test('a freed block is reused best fit, so a small allocation does not split the block a large one freed', () => {
  const arena = Arena.create({ maxBytes: 8 << 20 });
  const small = arena.alloc(1000, 'small');
  const large = arena.alloc(64 * 1024, 'large');
  arena.free(small);
  arena.free(large);
  const end = arena.heapEnd;
  assert.equal(arena.alloc(1000, 'small again'), small);
  assert.equal(arena.alloc(64 * 1024, 'large again'), large);
  assert.equal(arena.heapEnd, end, 'nothing was bumped');
});

test('a map that does not fit is refused with the figures', () => {
  const arena = Arena.create({ maxBytes: 2 << 20 });
  assert.throws(
    () => createMap(arena, { name: 'big', type: MapType.ARRAY, keySize: 4, valueSize: 1024, maxEntries: 4096, flags: 0 }),
    (e: unknown) => e instanceof ArenaFullError && /map 'big' needs \d+ bytes but the arena has \d+ bytes left of 2097152/.test(e.message),
  );
});

test('another thread view attaches to the same memory and sees the allocator state', () => {
  const arena = Arena.create({ maxBytes: 8 << 20, cpus: 2 });
  arena.alloc(64, 'x');
  const again = Arena.attach(arena.memory);
  assert.equal(again.cpus, 2);
  assert.equal(again.heapEnd, arena.heapEnd);
  const y = again.alloc(64, 'y');
  assert.ok(y >= arena.heapEnd - 128);
});
