/**
 * Values with a struct bpf_spin_lock (kernel copy_map_value / copy_map_value_locked): updates never write the
 * lock word, BPF_F_LOCK copies under the lock on ARRAY and HASH, and is -EINVAL where the kernel refuses it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../../src/vm/arena.js';
import { MapType } from '../../../src/ebpf/object-spec.js';
import { Errno } from '../../../src/vm/maps/errno.js';
import { UpdateFlag } from '../../../src/vm/maps/map-header.js';
import { createMap, openMap } from '../../../src/vm/maps/registry.js';
import { hex, u32Key } from './random.js';

const F_LOCK = UpdateFlag.F_LOCK;
/** struct { u64 bytes; struct bpf_spin_lock lock; u32 packets; }: the lock at offset 8. */
const LOCK_OFF = 8;
const value = (b: number): Uint8Array => new Uint8Array(16).fill(b);

for (const type of [MapType.ARRAY, MapType.HASH]) {
  const name = type === MapType.ARRAY ? 'ARRAY' : 'HASH';
  test(`${name} with a bpf_spin_lock: the lock word survives every update; BPF_F_LOCK copies around it`, () => {
    const arena = Arena.create({ maxBytes: 16 << 20, cpus: 2 });
    const m = createMap(arena, { name: 'v', type, keySize: 4, valueSize: 16, maxEntries: 4, flags: 0, spinLockOff: LOCK_OFF });
    assert.equal(openMap(arena, 'v', m.addr).params.spinLockOff, LOCK_OFF, 'kept in the header for other threads');
    const k = u32Key(1);
    assert.equal(m.update(k, value(0x11), UpdateFlag.ANY, 0), 0);
    const addr = m.lookup(k, 0);
    assert.equal(hex(arena.u8.subarray(addr, addr + 16)), '11111111111111110000000011111111', 'a new value starts unlocked');
    // A CPU holds the lock: a plain update must not release it by overwriting the word.
    arena.u32[(addr + LOCK_OFF) >>> 2] = 1;
    assert.equal(m.update(k, value(0x22), UpdateFlag.ANY, 0), 0);
    assert.equal(arena.u32[(addr + LOCK_OFF) >>> 2], 1);
    assert.equal(hex(m.read(k)![0]!.subarray(0, 8)), '2222222222222222');
    arena.u32[(addr + LOCK_OFF) >>> 2] = 0;
    assert.equal(m.update(k, value(0x33), F_LOCK, 0), 0);
    assert.equal(m.write(k, [value(0x44)], F_LOCK | UpdateFlag.EXIST), 0);
    assert.equal(hex(arena.u8.subarray(addr, addr + 16)), '44444444444444440000000044444444', 'copied, lock released after');
    assert.equal(m.update(k, value(0x55), F_LOCK | UpdateFlag.NOEXIST, 0), -Errno.EEXIST);
    assert.equal(m.update(k, value(0x55), F_LOCK | 3, 0), -Errno.EINVAL);
    if (type === MapType.HASH) {
      assert.equal(m.update(u32Key(9), value(0x66), F_LOCK | UpdateFlag.EXIST, 0), -Errno.ENOENT);
      assert.equal(m.update(u32Key(9), value(0x66), F_LOCK, 0), 0, 'BPF_F_LOCK may insert');
    } else {
      assert.equal(m.update(u32Key(9), value(0x66), F_LOCK, 0), -Errno.E2BIG);
    }
  });
}

test('BPF_F_LOCK is -EINVAL without a bpf_spin_lock, and on LRU and per-CPU maps (kernel update paths)', () => {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 2 });
  const k = u32Key(0);
  for (const [type, spinLockOff] of [[MapType.ARRAY, undefined], [MapType.HASH, undefined], [MapType.LRU_HASH, 0], [MapType.PERCPU_HASH, 0], [MapType.PERCPU_ARRAY, 0]] as const) {
    const m = createMap(arena, { name: `m${type}`, type, keySize: 4, valueSize: 8, maxEntries: 2, flags: 0, ...(spinLockOff !== undefined ? { spinLockOff } : {}) });
    assert.equal(m.update(k, new Uint8Array(8), F_LOCK, 0), -Errno.EINVAL, `type ${type}`);
    assert.equal(m.update(k, new Uint8Array(8), UpdateFlag.ANY, 0), 0);
  }
});
