/**
 * The map-type catalogue: which BPF_MAP_TYPE_* the runtime can create, and how to rebuild a map object
 * from its arena header (a worker thread or the control plane only needs the header address).
 *
 * Any other type (SOCKMAP, cgroup/task storage, STRUCT_OPS, USER_RINGBUF, ARENA...) fails to load with
 * UnsupportedMapTypeError naming it.
 */
import type { Arena } from '../arena.js';
import { UnsupportedFeatureError } from '../../ebpf/loader-errors.js';
import { MapType, mapTypeName } from '../../ebpf/object-spec.js';
import { ArrayMap } from './array.js';
import type { BpfMap } from './bpf-map.js';
import { HashMap } from './hash.js';
import { MapHdr, type MapParams } from './map-header.js';
import { BloomFilterMap } from './bloom-filter.js';
import { LpmTrieMap } from './lpm-trie.js';
import { QueueStackMap } from './queue-stack.js';
import { RingbufMap } from './ringbuf.js';
import { SlotArrayMap } from './slot-array.js';

export interface MapCreateOptions {
  /** Hash seed (from --seed); 0 by default so runs are reproducible. */
  readonly seed?: number;
}

interface MapKind {
  create(arena: Arena, p: MapParams, opts: MapCreateOptions): BpfMap;
  open(arena: Arena, name: string, addr: number): BpfMap;
}

const arrayKind = (perCpu: boolean): MapKind => ({
  create: (arena, p) => ArrayMap.create(arena, p, perCpu),
  open: (arena, name, addr) => ArrayMap.open(arena, name, addr, perCpu),
});
const hashKind = (perCpu: boolean, lru = false): MapKind => ({
  create: (arena, p, opts) => HashMap.create(arena, p, perCpu, opts.seed ?? 0, lru),
  open: (arena, name, addr) => HashMap.open(arena, name, addr, perCpu),
});

const slotKind: MapKind = {
  create: (arena, p) => SlotArrayMap.create(arena, p),
  open: (arena, name, addr) => SlotArrayMap.open(arena, name, addr),
};

const KINDS: ReadonlyMap<number, MapKind> = new Map([
  [MapType.ARRAY, arrayKind(false)],
  [MapType.PERCPU_ARRAY, arrayKind(true)],
  [MapType.HASH, hashKind(false)],
  [MapType.PERCPU_HASH, hashKind(true)],
  [MapType.LRU_HASH, hashKind(false, true)],
  [MapType.LRU_PERCPU_HASH, hashKind(true, true)],
  [MapType.DEVMAP_HASH, hashKind(false)],
  [MapType.HASH_OF_MAPS, hashKind(false)],
  [MapType.LPM_TRIE, { create: (arena, p) => LpmTrieMap.create(arena, p), open: (arena, name, addr) => LpmTrieMap.open(arena, name, addr) }],
  [MapType.BLOOM_FILTER, { create: (arena, p, opts) => BloomFilterMap.create(arena, p, opts.seed ?? 0), open: (arena, name, addr) => BloomFilterMap.open(arena, name, addr) }],
  [MapType.RINGBUF, { create: (arena, p) => RingbufMap.create(arena, p), open: (arena, name, addr) => RingbufMap.open(arena, name, addr) }],
  ...[MapType.QUEUE, MapType.STACK].map((t): [number, MapKind] => [t, {
    create: (arena, p) => QueueStackMap.create(arena, p),
    open: (arena, name, addr) => QueueStackMap.open(arena, name, addr),
  }]),
  ...[MapType.DEVMAP, MapType.CPUMAP, MapType.XSKMAP, MapType.PROG_ARRAY, MapType.PERF_EVENT_ARRAY, MapType.ARRAY_OF_MAPS].map((t): [number, MapKind] => [t, slotKind]),
]);

export class UnsupportedMapTypeError extends UnsupportedFeatureError {
  constructor(readonly mapName: string, readonly mapType: number) {
    super(mapTypeName(mapType), `map '${mapName}': ${mapTypeName(mapType)} is not supported`);
    this.name = 'UnsupportedMapTypeError';
  }
}

export function createMap(arena: Arena, p: MapParams, opts: MapCreateOptions = {}): BpfMap {
  const kind = KINDS.get(p.type);
  if (!kind) throw new UnsupportedMapTypeError(p.name, p.type);
  return kind.create(arena, p, opts);
}

/** The map whose header is at `addr` (created by any thread on this arena). */
export function openMap(arena: Arena, name: string, addr: number): BpfMap {
  const type = arena.u32[(addr + MapHdr.TYPE) >>> 2]!;
  const kind = KINDS.get(type);
  if (!kind) throw new UnsupportedMapTypeError(name, type);
  return kind.open(arena, name, addr);
}
