/**
 * `--dump-maps` (design.md §5): one line per entry, sorted by map name then key bytes; per-CPU maps give
 * `values` (one per CPU); array-like maps list every index; PROG_ARRAY and map-in-map slots are `@NAME`. Event-stream maps (RINGBUF, PERF_EVENT_ARRAY,
 * QUEUE, STACK) are not dumped. The daemon's entries route uses the same lines.
 */
import { MapType } from '../../ebpf/object-spec.js';
import { mapEntries, type BpfMap } from '../maps/bpf-map.js';
import type { Runtime } from './runtime.js';

export type MapDumpLine =
  | { readonly map: string; readonly key: string; readonly value: string }
  | { readonly map: string; readonly key: string; readonly values: readonly string[] };

/** Event streams (design.md §5); XSKMAP and BLOOM_FILTER have nothing userspace can read back by key. */
const EVENT_MAPS: ReadonlySet<number> = new Set([MapType.RINGBUF, MapType.PERF_EVENT_ARRAY, MapType.QUEUE, MapType.STACK, MapType.XSKMAP, MapType.BLOOM_FILTER]);

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
/** Byte order, as strcmp on names and on same-length lowercase hex keys. */
const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Names for slot values: a PROG_ARRAY's program ids, a map-in-map's inner map addresses. */
export interface SlotNames {
  program(id: number): string | undefined;
  map(addr: number): string | undefined;
}

export function dumpMap(name: string, map: BpfMap, names: SlotNames): MapDumpLine[] {
  if (EVENT_MAPS.has(map.params.type)) return [];
  const out: MapDumpLine[] = [];
  for (const { key, values } of mapEntries(map)) {
    const t = map.params.type;
    if (t === MapType.PROG_ARRAY || t === MapType.ARRAY_OF_MAPS || t === MapType.HASH_OF_MAPS) {
      const v = new DataView(values[0]!.buffer).getUint32(0, true);
      const target = t === MapType.PROG_ARRAY ? names.program(v) : names.map(v);
      out.push({ map: name, key: hex(key), value: `@${target ?? `id:${v}`}` });
      continue;
    }
    out.push(map.perCpu ? { map: name, key: hex(key), values: values.map(hex) } : { map: name, key: hex(key), value: hex(values[0]!) });
  }
  return out.sort((a, b) => byteOrder(a.key, b.key));
}

export function dumpMaps(runtime: Runtime): MapDumpLine[] {
  return [...runtime.maps.keys()].sort(byteOrder).flatMap((name) => dumpMap(name, runtime.maps.get(name)!, {
    program: (id) => runtime.programById(id)?.name,
    map: (addr) => runtime.mapAt(addr)?.name,
  }));
}
