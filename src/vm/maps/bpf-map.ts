/**
 * What every map implementation offers: the program path (the helpers bpf_map_lookup_elem / update / delete
 * work on arena addresses and return the kernel's conventions) and the control-plane path (copies in and
 * out, used by --maps, --dump-maps and the daemon's REST API). Both paths work on the map's arena bytes
 * only, so any thread holding the arena can build a `BpfMap` for an address and see the same map.
 */
import type { MapParams } from './map-header.js';

/** One entry as the control plane copies it: the key and one value per CPU slot. */
export interface MapEntry {
  readonly key: Uint8Array;
  readonly values: Uint8Array[];
}

export interface BpfMap {
  readonly name: string;
  /** Arena address of the map header: what a map pointer register holds. */
  readonly addr: number;
  readonly id: number;
  readonly params: MapParams;
  /** One value slot per CPU (PERCPU_ARRAY, PERCPU_HASH, ...). */
  readonly perCpu: boolean;
  /** Value slots per entry: the arena's CPU count for per-CPU maps, otherwise 1. */
  readonly ncpus: number;
  /** Bytes of arena the map occupies (header included). */
  readonly footprint: number;

  /** bpf_map_lookup_elem: address of the value (the CPU's slot for per-CPU maps), 0 when absent. */
  lookup(key: Uint8Array, cpu: number): number;
  /** bpf_map_update_elem from a program: per-CPU maps write the calling CPU's slot. 0 or -errno. */
  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number;
  /** bpf_map_delete_elem: 0 or -errno. */
  delete(key: Uint8Array): number;

  /** Control plane: a copy of the value (one per CPU for per-CPU maps), undefined when absent. */
  read(key: Uint8Array): Uint8Array[] | undefined;
  /** Control plane: write one value (to every CPU of a per-CPU map) or one per CPU. 0 or -errno. */
  write(key: Uint8Array, values: readonly Uint8Array[], flags: number): number;
  /** Control plane: every key present (every index for array-like maps), in storage order. */
  keys(): Uint8Array[];
  /**
   * Control plane: a snapshot of every entry with its value(s), each entry copied whole while the data path
   * may be writing (maps with a concurrent-writer story implement it; `mapEntries` falls back to keys + read).
   */
  entries?(): MapEntry[];

  /** Checked mode: does [addr, addr+size) lie within one value slot of this map? */
  containsValue(addr: number, size: number): boolean;
  /** The address range holding this map's values (for a quick "which object is this" search). */
  readonly valueStart: number;
  readonly valueEnd: number;
}

/** Every entry of `map` for a dump: its consistent snapshot where it has one, else each listed key read back. */
export function mapEntries(map: BpfMap): MapEntry[] {
  if (map.entries) return map.entries();
  const out: MapEntry[] = [];
  for (const key of map.keys()) {
    const values = map.read(key);
    if (values) out.push({ key, values });
  }
  return out;
}
