/**
 * The wasm LPM_TRIE lookup (jit/lower-map-lpm.ts) against LpmTrieMap.lookup on the same arena bytes
 * (design.md §2), over random insert / delete sequences with prefixes that share their leading bits, for
 * the IPv4 and IPv6 key sizes, a data size that is not a multiple of 4, and one past the unrolled words; and
 * with 1,000 prefixes of every length, in both tiers, against the longest stored prefix found by brute force.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { MapFlag, MapType } from '../../src/ebpf/object-spec.js';
import { LpmEntry, LpmTrieMap } from '../../src/vm/maps/lpm-trie.js';
import { UpdateFlag, roundUp } from '../../src/vm/maps/map-header.js';
import { Errno } from '../../src/vm/maps/errno.js';
import { HelperId } from '../../jit/module-abi.js';
import { hex, prng } from '../vm/maps/random.js';
import { helperRunner } from './map-harness.js';

const SEED = 0x5eed1;

/** A key whose data bytes come from a small alphabet, so random prefixes often nest and collide. */
function randomKey(rand: () => number, dataSize: number, prefixlen: number): Uint8Array {
  const key = new Uint8Array(4 + dataSize);
  new DataView(key.buffer).setUint32(0, prefixlen, true);
  const alphabet = [0x00, 0x0a, 0x80, 0xc0, 0xff];
  for (let i = 0; i < dataSize; i++) key[4 + i] = alphabet[Math.floor(rand() * alphabet.length)]!;
  return key;
}

for (const dataSize of [4, 16, 3, 37]) {
  test(`wasm LPM lookups equal LpmTrieMap.lookup over random updates and deletes (data ${dataSize} bytes)`, () => {
    const arena = Arena.create({ maxBytes: 16 << 20, cpus: 2 });
    const map = LpmTrieMap.create(arena, {
      name: `lpm${dataSize}`, type: MapType.LPM_TRIE, keySize: 4 + dataSize, valueSize: 12, maxEntries: 24, flags: MapFlag.NO_PREALLOC,
    });
    const run = helperRunner(arena, [map.addr], HelperId.MAP_LOOKUP_ELEM, 1);
    const rand = prng(SEED + dataSize);
    const arg = arena.alloc(1024, 'key');
    const bits = dataSize * 8;
    const stored: Uint8Array[] = [];
    let hits = 0;
    for (let step = 0; step < 400; step++) {
      if (rand() < 0.3 && stored.length > 0) {
        const victim = stored.splice(Math.floor(rand() * stored.length), 1)[0]!;
        // A key stored twice (the same prefix written again) is one entry: its second delete finds none.
        assert.ok([0, -Errno.ENOENT].includes(map.delete(victim)));
      } else {
        const key = randomKey(rand, dataSize, Math.floor(rand() * (bits + 1)));
        if (map.update(key, new Uint8Array(12).fill(step & 0xff), UpdateFlag.ANY) === 0) stored.push(key);
      }
      for (let q = 0; q < 6; q++) {
        // Lookups with the full prefix length, a shorter one, and one past the data bits (clamped).
        const len = [bits, Math.floor(rand() * (bits + 1)), bits + 1 + Math.floor(rand() * 64)][q % 3]!;
        const key = randomKey(rand, dataSize, len);
        arena.u8.set(key, arg);
        const want = map.lookup(key);
        if (want !== 0) hits++;
        assert.equal(run.call(arg, 0n), BigInt(want), `step ${step}, key ${hex(key)}`);
      }
    }
    assert.ok(hits > 100, `only ${hits} lookups matched a prefix: the sequence does not exercise matching`);
  });
}

/** The first `len` bits of the data of `a` and `b` (keys: data after 4 bytes) are equal. */
function samePrefix(a: Uint8Array, b: Uint8Array, len: number): boolean {
  for (let i = 0; i < len >>> 3; i++) if (a[4 + i] !== b[4 + i]) return false;
  const rest = len & 7;
  return rest === 0 || ((a[4 + (len >>> 3)]! ^ b[4 + (len >>> 3)]!) & (0xff << (8 - rest)) & 0xff) === 0;
}

for (const [dataSize, optimizeLevel] of [[4, 0], [16, 0], [4, 2], [16, 2], [37, 0]] as const) {
  test(`wasm LPM lookups over 1,000 prefixes of every length equal LpmTrieMap.lookup and the longest stored prefix (data ${dataSize} bytes, tier ${optimizeLevel === 0 ? 1 : 2})`, () => {
    const arena = Arena.create({ maxBytes: 32 << 20, cpus: 1 });
    const maxEntries = 1000;
    const map = LpmTrieMap.create(arena, {
      name: `lpm${dataSize}`, type: MapType.LPM_TRIE, keySize: 4 + dataSize, valueSize: 8, maxEntries, flags: MapFlag.NO_PREALLOC,
    });
    const run = helperRunner(arena, [map.addr], HelperId.MAP_LOOKUP_ELEM, 0, optimizeLevel);
    const rand = prng(SEED ^ (dataSize * 31 + optimizeLevel));
    const arg = arena.alloc(1024, 'key');
    const bits = dataSize * 8;
    const stored: Uint8Array[] = [];
    let hits = 0;
    for (let step = 0; step < 3000; step++) {
      const op = rand();
      if (op < 0.35 && stored.length < maxEntries) {
        const key = randomKey(rand, dataSize, Math.floor(rand() * (bits + 1)));
        if (map.update(key, new Uint8Array(8).fill(step & 0xff), UpdateFlag.ANY) === 0) stored.push(key);
      } else if (op < 0.45 && stored.length > 0) {
        const victim = stored.splice(Math.floor(rand() * stored.length), 1)[0]!;
        assert.ok([0, -Errno.ENOENT].includes(map.delete(victim)));
      } else {
        const len = rand() < 0.8 ? bits : Math.floor(rand() * (bits + 64));
        const key = randomKey(rand, dataSize, len);
        arena.u8.set(key, arg);
        const want = map.lookup(key);
        assert.equal(run.call(arg, 0n), BigInt(want), `step ${step}, key ${hex(key)}`);
        // The longest stored prefix within the key's length, by brute force over the stored keys.
        let longest = -1;
        for (const k of map.keys()) {
          const l = new DataView(k.buffer).getUint32(0, true);
          if (l <= Math.min(len, bits) && l > longest && samePrefix(k, key, l)) longest = l;
        }
        assert.equal(want === 0 ? -1 : arena.u32[(want - roundUp(LpmEntry.DATA + dataSize, 8) + LpmEntry.PREFIXLEN) >>> 2], longest, `step ${step}, key ${hex(key)}`);
        if (want !== 0) hits++;
      }
    }
    assert.ok(hits > 300, `only ${hits} lookups matched a prefix: the sequence does not exercise matching`);
  });
}

test('a call site two LPM tries reach (clang\'s merged lookup) picks each trie at run time', () => {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 1 });
  const v4 = LpmTrieMap.create(arena, { name: 'v4', type: MapType.LPM_TRIE, keySize: 8, valueSize: 8, maxEntries: 4, flags: MapFlag.NO_PREALLOC });
  const v6 = LpmTrieMap.create(arena, { name: 'v6', type: MapType.LPM_TRIE, keySize: 20, valueSize: 8, maxEntries: 4, flags: MapFlag.NO_PREALLOC });
  const key = (len: number, data: number[]): Uint8Array => {
    const k = new Uint8Array(4 + data.length);
    new DataView(k.buffer).setUint32(0, len, true);
    k.set(data, 4);
    return k;
  };
  assert.equal(v4.update(key(16, [10, 1, 0, 0]), new Uint8Array(8), UpdateFlag.ANY), 0);
  assert.equal(v6.update(key(48, [0x20, 0x01, 0x0d, 0xb8, 0, 1, ...new Array<number>(10).fill(0)]), new Uint8Array(8), UpdateFlag.ANY), 0);
  const run = helperRunner(arena, [v4.addr, v6.addr], HelperId.MAP_LOOKUP_ELEM, 0);
  const arg = arena.alloc(1024, 'key');
  for (const [which, map, k] of [
    [0, v4, key(32, [10, 1, 2, 3])], [0, v4, key(32, [10, 2, 2, 3])],
    [1, v6, key(128, [0x20, 0x01, 0x0d, 0xb8, 0, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9])], [1, v6, key(128, new Array<number>(16).fill(7))],
  ] as const) {
    arena.u8.set(k, arg);
    assert.equal(run.call(arg, BigInt(which)), BigInt(map.lookup(k)), `${map.name} ${hex(k)}`);
  }
  arena.u8.set(key(32, [10, 1, 2, 3]), arg);
  assert.notEqual(run.call(arg, 0n), 0n);
});
