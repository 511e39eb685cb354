/**
 * A map's arena layout as the JIT specialises on it, read from the map header the runtime wrote
 * (src/vm/maps/map-header.ts, array.ts, hash.ts own the layout; this only reads it). Every field read here
 * is fixed at map creation, and the module cache keys on the header bytes (jit/module-cache.ts).
 */
import { MapType } from '../src/ebpf/object-spec.js';
import { MAP_HEADER_SIZE, MapHdr } from '../src/vm/maps/map-header.js';
import { HashHdr } from '../src/vm/maps/hash.js';

export interface ArrayLayout {
  readonly kind: 'array';
  readonly perCpu: boolean;
  readonly maxEntries: number;
  readonly ncpus: number;
  readonly stride: number;
  readonly data: number;
}

export interface HashLayout {
  readonly kind: 'hash';
  readonly perCpu: boolean;
  readonly keySize: number;
  readonly nBuckets: number;
  readonly buckets: number;
  readonly valueOff: number;
  readonly stride: number;
  readonly seed: number;
}

export type MapLayout = ArrayLayout | HashLayout;

/** Reads the header at `addr`; undefined for map types the JIT does not lower (they use the trampoline). */
export function readMapLayout(u32: Uint32Array, addr: number): MapLayout | undefined {
  if (addr % 4 !== 0 || addr + MAP_HEADER_SIZE > u32.length * 4) return undefined;
  const r = (off: number): number => u32[(addr + off) >>> 2]!;
  const type = r(MapHdr.TYPE);
  if (type === MapType.ARRAY || type === MapType.PERCPU_ARRAY) {
    return {
      kind: 'array', perCpu: type === MapType.PERCPU_ARRAY, maxEntries: r(MapHdr.MAX_ENTRIES),
      ncpus: r(MapHdr.NCPUS), stride: r(MapHdr.VALUE_STRIDE), data: r(MapHdr.DATA),
    };
  }
  if (type === MapType.HASH || type === MapType.PERCPU_HASH) {
    return {
      kind: 'hash', perCpu: type === MapType.PERCPU_HASH, keySize: r(MapHdr.KEY_SIZE), nBuckets: r(HashHdr.N_BUCKETS),
      buckets: r(HashHdr.BUCKETS), valueOff: r(HashHdr.VALUE_OFF), stride: r(MapHdr.VALUE_STRIDE), seed: r(HashHdr.SEED),
    };
  }
  return undefined;
}

/** The header bytes a compiled module may depend on, for the cache key. */
export function mapHeaderBytes(u8: Uint8Array, addr: number): Uint8Array {
  return u8.slice(addr, addr + MAP_HEADER_SIZE);
}
