/**
 * LPM_TRIE's lookup index (src/vm/maps/lpm-trie.ts: per-length `below` table and hash buckets over the
 * prefixes) against a brute-force longest-prefix model, with hundreds of entries over every prefix length,
 * for IPv4 and IPv6 key sizes and one data size that is not a multiple of 4: lookups, the slot order that
 * keys() (and so get_next_key) reports, and the index left empty once every entry is deleted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../../src/vm/arena.js';
import { MapFlag, MapType } from '../../../src/ebpf/object-spec.js';
import { LpmTrieMap } from '../../../src/vm/maps/lpm-trie.js';
import { lpmPrefixHash } from '../../../src/vm/maps/lpm-prefix-hash.js';
import { UpdateFlag } from '../../../src/vm/maps/map-header.js';
import { Errno } from '../../../src/vm/maps/errno.js';
import { hex, prng, randomBytes } from './random.js';

function lpmKey(len: number, data: Uint8Array): Uint8Array {
  const k = new Uint8Array(4 + data.length);
  new DataView(k.buffer).setUint32(0, len, true);
  k.set(data, 4);
  return k;
}

/** The first `len` bits of `a` and `b` are equal. */
function samePrefix(a: Uint8Array, b: Uint8Array, len: number): boolean {
  for (let i = 0; i < len >>> 3; i++) if (a[i] !== b[i]) return false;
  const rest = len & 7;
  return rest === 0 || ((a[len >>> 3]! ^ b[len >>> 3]!) & (0xff << (8 - rest)) & 0xff) === 0;
}

for (const dataSize of [4, 16, 5]) {
  test(`LPM_TRIE index: lookups and key order equal a brute-force model over 500 entries of all lengths (data ${dataSize} bytes)`, () => {
    const maxEntries = 500;
    const bits = dataSize * 8;
    const arena = Arena.create({ maxBytes: 32 << 20, cpus: 1 });
    const map = LpmTrieMap.create(arena, { name: 'lpm', type: MapType.LPM_TRIE, keySize: 4 + dataSize, valueSize: 4, maxEntries, flags: MapFlag.NO_PREALLOC });
    const rand = prng(0x1e7 + dataSize);
    // Slot model: a new prefix takes the lowest free slot; keys() lists the slots in order.
    const slots: ({ len: number; data: Uint8Array; value: Uint8Array } | undefined)[] = [];
    const nets = Array.from({ length: 4 }, () => randomBytes(rand, dataSize));
    const addr = (): Uint8Array => {
      const a = nets[Math.floor(rand() * nets.length)]!.slice();
      for (let i = Math.floor(rand() * dataSize); i < dataSize; i++) if (rand() < 0.5) a[i] = Math.floor(rand() * 256);
      return a;
    };
    const find = (len: number, data: Uint8Array): number => slots.findIndex((s) => s !== undefined && s.len === len && samePrefix(s.data, data, len));
    let hits = 0;
    for (let step = 0; step < 4000; step++) {
      const len = Math.floor(rand() * (bits + 1));
      const data = addr();
      const op = rand();
      if (op < 0.4) {
        const value = randomBytes(rand, 4);
        const at = find(len, data);
        let free = slots.findIndex((s) => s === undefined);
        if (free < 0) free = slots.length;
        const want = at < 0 && free >= maxEntries ? -Errno.ENOSPC : 0;
        assert.equal(map.update(lpmKey(len, data), value, UpdateFlag.ANY), want, `step ${step} update ${len}/${hex(data)}`);
        if (want === 0) slots[at >= 0 ? at : free] = { len, data, value };
      } else if (op < 0.55) {
        const at = find(len, data);
        assert.equal(map.delete(lpmKey(len, data)), at < 0 ? -Errno.ENOENT : 0, `step ${step} delete`);
        if (at >= 0) slots[at] = undefined;
      } else if (op < 0.65 && slots.some((s) => s !== undefined)) {
        // Delete a stored prefix through a key whose bits past the prefix differ from the stored ones.
        const live = slots.flatMap((s, i) => (s === undefined ? [] : [i]));
        const i = live[Math.floor(rand() * live.length)]!;
        const s = slots[i]!;
        const other = s.data.slice();
        // The data's last bit lies past every prefix shorter than the data.
        if (s.len < bits) other[dataSize - 1] = other[dataSize - 1]! ^ 1;
        assert.equal(map.delete(lpmKey(s.len, other)), 0, `step ${step} delete by masked key`);
        slots[i] = undefined;
      } else {
        const keyLen = rand() < 0.1 ? bits + 1 + Math.floor(rand() * 100) : len;
        const limit = Math.min(keyLen, bits);
        let best: { len: number; value: Uint8Array } | undefined;
        for (const s of slots) if (s !== undefined && s.len <= limit && samePrefix(s.data, data, s.len) && (!best || s.len > best.len)) best = s;
        const a = map.lookup(lpmKey(keyLen, data));
        assert.equal(a !== 0, best !== undefined, `step ${step} lookup ${keyLen}/${hex(data)}`);
        if (best) { hits++; assert.equal(hex(arena.u8.subarray(a, a + 4)), hex(best.value), `step ${step} lookup value`); }
      }
    }
    assert.ok(hits > 200, `only ${hits} lookups matched: the sequence does not exercise matching`);
    const live = slots.filter((s) => s !== undefined);
    assert.ok(live.length > 100, `only ${live.length} entries stored at the end`);
    assert.deepEqual(map.keys().map((k) => `${new DataView(k.buffer).getUint32(0, true)}/${hex(k.subarray(4))}`),
      live.map((s) => `${s.len}/${hex(s.data)}`));
    for (const s of live) assert.equal(map.delete(lpmKey(s.len, s.data)), 0);
    assert.deepEqual(map.keys(), []);
    for (let len = 0; len <= bits; len++) assert.equal(map.lookup(lpmKey(len, nets[0]!)), 0);
  });
}

test('lpmPrefixHash ignores the bits past the prefix length and depends on the length', () => {
  const a = Uint8Array.from([0x0a, 0x01, 0xff, 0x00, 0x12]);
  const b = Uint8Array.from([0x0a, 0x01, 0x80, 0x7f, 0x34]);
  assert.equal(lpmPrefixHash(a, 0, 5, 17), lpmPrefixHash(b, 0, 5, 17));
  assert.notEqual(lpmPrefixHash(a, 0, 5, 18), lpmPrefixHash(b, 0, 5, 18));
  assert.notEqual(lpmPrefixHash(a, 0, 5, 16), lpmPrefixHash(a, 0, 5, 17));
  assert.equal(lpmPrefixHash(a, 0, 5, 0), lpmPrefixHash(b, 0, 5, 0));
});
