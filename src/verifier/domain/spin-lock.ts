/**
 * Where a map value keeps its `struct bpf_spin_lock` (kernel: btf_find_spin_lock via the map's value BTF).
 * The verifier needs it to check bpf_spin_lock's argument and to forbid plain loads/stores of the lock.
 */
import type { MapSpec, ObjectSpec } from '../../ebpf/object-spec.js';

const cache = new WeakMap<MapSpec, number | null>();

/** Byte offset of the value's bpf_spin_lock (top level or one struct deep), or undefined when it has none. */
export function spinLockOffset(obj: ObjectSpec, map: MapSpec): number | undefined {
  let off = cache.get(map);
  if (off === undefined) {
    off = find(obj, map.btfValueType, 0, 2);
    cache.set(map, off);
  }
  return off ?? undefined;
}

function find(obj: ObjectSpec, typeId: number | undefined, base: number, depth: number): number | null {
  const btf = obj.btf;
  if (!btf || typeId === undefined || depth < 0) return null;
  const st = btf.asStruct(typeId);
  if (!st) return null;
  if (st.name === 'bpf_spin_lock') return base;
  for (const m of st.members) {
    const r = find(obj, m.type, base + m.bitOffset / 8, depth - 1);
    if (r !== null) return r;
  }
  return null;
}

/** sizeof(struct bpf_spin_lock). */
export const SPIN_LOCK_SIZE = 4;
