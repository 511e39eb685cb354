/**
 * CPUMAP slots (slot-array.ts, cpumap-value.ts) against kernel/bpf/cpumap.c cpu_map_update_elem: its errors in
 * the kernel's order (flags, key past max_entries, BPF_NOEXIST, qsize over 16384, a CPU that does not exist),
 * struct bpf_cpumap_val with a program id stored and read back as the kernel's bpf_prog.id, fd ≤ 0 as none,
 * qsize 0 emptying the slot whatever the fd says.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../../src/vm/arena.js';
import { MapType } from '../../../src/ebpf/object-spec.js';
import { createMap } from '../../../src/vm/maps/registry.js';
import { Errno } from '../../../src/vm/maps/errno.js';
import { UpdateFlag } from '../../../src/vm/maps/map-header.js';
import { CPUMAP_MAX_QSIZE, cpumapProgramAt, cpumapWrittenProgram } from '../../../src/vm/maps/cpumap-value.js';

const le32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);
const val = (qsize: number, fd: number): Uint8Array => new Uint8Array(new Int32Array([qsize, fd]).buffer);
const EOVERFLOW = 75;
const ENODEV = 19;

test('CPUMAP update errors come in cpu_map_update_elem\'s order', () => {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 2 });
  const m = createMap(arena, { name: 'c', type: MapType.CPUMAP, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 });
  const big = val(CPUMAP_MAX_QSIZE + 1, 3);
  assert.equal(m.write(le32(9), [big], UpdateFlag.EXIST + 1), -Errno.EINVAL);
  assert.equal(m.write(le32(4), [big], UpdateFlag.NOEXIST), -Errno.E2BIG);
  assert.equal(m.write(le32(1), [big], UpdateFlag.NOEXIST), -Errno.EEXIST);
  assert.equal(m.write(le32(3), [big], UpdateFlag.ANY), -EOVERFLOW);
  // Index 3 < max_entries, but the arena has CPUs 0 and 1 only.
  assert.equal(m.write(le32(3), [val(CPUMAP_MAX_QSIZE, 3)], UpdateFlag.ANY), -ENODEV);
  assert.equal(m.write(le32(1), [val(CPUMAP_MAX_QSIZE, 3)], UpdateFlag.EXIST), 0);
  assert.deepEqual(m.keys().map((k) => k[0]), [1]);
});

test('CPUMAP values name a program: stored as its id, fd ≤ 0 is none, qsize 0 empties the slot', () => {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 2 });
  const m = createMap(arena, { name: 'c', type: MapType.CPUMAP, keySize: 4, valueSize: 8, maxEntries: 2, flags: 0 });
  assert.equal(m.write(le32(1), [val(192, 7)], 0), 0);
  assert.deepEqual(m.read(le32(1)), [val(192, 7)]);
  assert.equal(cpumapProgramAt(arena.u32, m.lookup(le32(1), 0), 8), 7);
  // libbpf writes fd -1 for "no program": read back as id 0.
  assert.equal(m.write(le32(0), [val(64, -1)], 0), 0);
  assert.deepEqual(m.read(le32(0)), [val(64, 0)]);
  assert.equal(cpumapProgramAt(arena.u32, m.lookup(le32(0), 0), 8), 0);
  // qsize 0 is a delete (rcpu = NULL), the fd is not looked at.
  assert.equal(m.write(le32(1), [val(0, 7)], 0), 0);
  assert.equal(m.lookup(le32(1), 0), 0);
  assert.deepEqual(m.keys().map((k) => k[0]), [0]);
  // A 4-byte value (qsize only) never names a program.
  assert.equal(cpumapWrittenProgram(le32(64), 4), 0);
  assert.equal(cpumapWrittenProgram(val(64, 5), 8), 5);
  const small = createMap(arena, { name: 's', type: MapType.CPUMAP, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 });
  assert.equal(small.write(le32(1), [le32(64)], 0), 0);
  assert.equal(cpumapProgramAt(arena.u32, small.lookup(le32(1), 0), 4), 0);
  assert.throws(() => createMap(arena, { name: 'x', type: MapType.CPUMAP, keySize: 4, valueSize: 12, maxEntries: 2, flags: 0 }), /value_size 12/);
});
