/**
 * A map's arena layout as the JIT specialises on it, read from the map header the runtime wrote
 * (src/vm/maps/map-header.ts, array.ts, hash.ts, lpm-trie.ts, bloom-filter.ts own the layout; this only
 * reads it). Every field read here is fixed at map creation, and the module cache keys on the header bytes
 * (jit/module-cache.ts).
 */
import { MapType } from '../src/ebpf/object-spec.js';
import { MAP_HEADER_SIZE, MapHdr } from '../src/vm/maps/map-header.js';
import { HashHdr } from '../src/vm/maps/hash.js';
import { LpmHdr } from '../src/vm/maps/lpm-trie.js';
import { BloomHdr } from '../src/vm/maps/bloom-filter.js';

export interface ArrayLayout {
  readonly kind: 'array';
  readonly addr: number;
  readonly valueSize: number;
  readonly hasSpinLock: boolean;
  readonly perCpu: boolean;
  readonly maxEntries: number;
  readonly ncpus: number;
  readonly stride: number;
  readonly data: number;
}

export interface HashLayout {
  readonly kind: 'hash';
  readonly addr: number;
  /** HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH or HASH_OF_MAPS. */
  readonly type: number;
  readonly perCpu: boolean;
  /** Offset of the LRU node in an entry (LRU_HASH, LRU_PERCPU_HASH); 0 for the other hash maps. */
  readonly lruOff: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly ncpus: number;
  readonly keySize: number;
  readonly nBuckets: number;
  readonly buckets: number;
  readonly entrySize: number;
  readonly data: number;
  /** Header +40: a struct bpf_spin_lock in the value (writes go around it: left to the trampoline). */
  readonly hasSpinLock: boolean;
  readonly valueOff: number;
  readonly stride: number;
  readonly seed: number;
}

export interface LpmLayout {
  readonly kind: 'lpm';
  readonly addr: number;
  /** Key data bytes (key_size - 4). */
  readonly dataSize: number;
  readonly entrySize: number;
  readonly valueOff: number;
  readonly data: number;
}

export type MapLayout = ArrayLayout | HashLayout | LpmLayout;

export interface BloomLayout {
  readonly addr: number;
  readonly valueSize: number;
  readonly nHashes: number;
  readonly mask: number;
  readonly seed: number;
  readonly data: number;
}

const HASH_TYPES: ReadonlySet<number> = new Set([
  MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH, MapType.HASH_OF_MAPS,
]);
const PERCPU_HASH_TYPES: ReadonlySet<number> = new Set([MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH]);

/** The hash-family layout (hash.ts) of the map at `addr`, HASH_OF_MAPS included; undefined for other types. */
export function readHashLayout(u32: Uint32Array, addr: number): HashLayout | undefined {
  if (addr % 4 !== 0 || addr + MAP_HEADER_SIZE > u32.length * 4) return undefined;
  const r = (off: number): number => u32[(addr + off) >>> 2]!;
  const type = r(MapHdr.TYPE);
  if (!HASH_TYPES.has(type)) return undefined;
  return {
    kind: 'hash', addr, perCpu: PERCPU_HASH_TYPES.has(type), lruOff: r(HashHdr.LRU_OFF), valueSize: r(MapHdr.VALUE_SIZE),
    maxEntries: r(MapHdr.MAX_ENTRIES), ncpus: r(MapHdr.NCPUS), keySize: r(MapHdr.KEY_SIZE), nBuckets: r(HashHdr.N_BUCKETS),
    buckets: r(HashHdr.BUCKETS), entrySize: r(HashHdr.ENTRY_SIZE), data: r(MapHdr.DATA), hasSpinLock: r(MapHdr.SPIN_LOCK) !== 0,
    valueOff: r(HashHdr.VALUE_OFF), stride: r(MapHdr.VALUE_STRIDE), seed: r(HashHdr.SEED), type,
  };
}

/** The BLOOM_FILTER layout (bloom-filter.ts) at `addr`, or undefined for other map types. */
export function readBloomLayout(u32: Uint32Array, addr: number): BloomLayout | undefined {
  if (addr % 4 !== 0 || addr + MAP_HEADER_SIZE > u32.length * 4) return undefined;
  const r = (off: number): number => u32[(addr + off) >>> 2]!;
  if (r(MapHdr.TYPE) !== MapType.BLOOM_FILTER) return undefined;
  return {
    addr, valueSize: r(MapHdr.VALUE_SIZE), nHashes: r(BloomHdr.NR_HASH_FUNCS), mask: r(BloomHdr.BITSET_MASK),
    seed: r(BloomHdr.SEED), data: r(MapHdr.DATA),
  };
}

/** Reads the header at `addr`; undefined for map types lowered elsewhere or not at all (the trampoline). */
export function readMapLayout(u32: Uint32Array, addr: number): MapLayout | undefined {
  if (addr % 4 !== 0 || addr + MAP_HEADER_SIZE > u32.length * 4) return undefined;
  const r = (off: number): number => u32[(addr + off) >>> 2]!;
  const type = r(MapHdr.TYPE);
  if (type === MapType.ARRAY || type === MapType.PERCPU_ARRAY) {
    return {
      kind: 'array', addr, valueSize: r(MapHdr.VALUE_SIZE), perCpu: type === MapType.PERCPU_ARRAY, maxEntries: r(MapHdr.MAX_ENTRIES),
      ncpus: r(MapHdr.NCPUS), stride: r(MapHdr.VALUE_STRIDE), data: r(MapHdr.DATA), hasSpinLock: r(MapHdr.SPIN_LOCK) !== 0,
    };
  }
  if (type === MapType.LPM_TRIE) {
    return {
      kind: 'lpm', addr, dataSize: r(MapHdr.KEY_SIZE) - 4, entrySize: r(LpmHdr.ENTRY_SIZE), valueOff: r(LpmHdr.VALUE_OFF), data: r(MapHdr.DATA),
    };
  }
  // HASH_OF_MAPS lookups return the inner map's address, not the value's: jit/lower-helper-map.ts.
  return type === MapType.HASH_OF_MAPS ? undefined : readHashLayout(u32, addr);
}

/** The header bytes a compiled module may depend on, for the cache key. */
export function mapHeaderBytes(u8: Uint8Array, addr: number): Uint8Array {
  return u8.slice(addr, addr + MAP_HEADER_SIZE);
}
