/**
 * The header every map starts with. A map's address — the value an LD_IMM64 src=1 loads into a register
 * and what helpers receive as `struct bpf_map *` — is the address of this header. The JIT reads the same
 * fields, so the offsets below are the contract.
 *
 * ```
 *  +0   u32 type (BPF_MAP_TYPE_*)   +4   u32 key_size       +8   u32 value_size     +12  u32 max_entries
 *  +16  u32 map_flags (BPF_F_*)     +20  u32 id             +24  u32 ncpus          +28  u32 value_stride
 *  +32  u32 data (type-defined: array values / hash entries)                        +36  u32 count (atomic)
 *  +40  u32 spin_lock_off + 1 (0: the value has no struct bpf_spin_lock)
 *  +44 .. +63  reserved
 *  +64 .. +127 type-specific (see the map type's module)
 * ```
 * `ncpus` is the arena's CPU count for per-CPU maps and 1 for every other map; `value_stride` is the distance
 * between consecutive value slots (8-byte rounded for shared values as the kernel's array does; a 64-byte
 * cache line multiple for per-CPU values, so no two CPUs' slots share a line).
 */
import type { Arena } from '../arena.js';

export const MapHdr = {
  TYPE: 0, KEY_SIZE: 4, VALUE_SIZE: 8, MAX_ENTRIES: 12, FLAGS: 16, ID: 20, NCPUS: 24, VALUE_STRIDE: 28,
  DATA: 32, COUNT: 36, SPIN_LOCK: 40, TYPE_SPECIFIC: 64,
} as const;
export const MAP_HEADER_SIZE = 128;

/** Kernel update flags (uapi): BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK. */
export const UpdateFlag = { ANY: 0, NOEXIST: 1, EXIST: 2, F_LOCK: 4 } as const;

export interface MapParams {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** map_extra at creation (BLOOM_FILTER: hash function count in the low 4 bits); not kept in the header. */
  readonly mapExtra?: number;
  /** Offset of the value's struct bpf_spin_lock (from BTF), kept in the header; absent when it has none. */
  readonly spinLockOff?: number;
}

/** sizeof(struct bpf_spin_lock). */
export const SPIN_LOCK_SIZE = 4;

export const roundUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Fill the common header fields of a freshly allocated map. */
export function writeHeader(arena: Arena, addr: number, p: MapParams, ncpus: number, stride: number, data: number): number {
  const u32 = arena.u32;
  const id = arena.nextMapId();
  const w = (off: number, v: number): void => { u32[(addr + off) >>> 2] = v >>> 0; };
  w(MapHdr.TYPE, p.type);
  w(MapHdr.KEY_SIZE, p.keySize);
  w(MapHdr.VALUE_SIZE, p.valueSize);
  w(MapHdr.MAX_ENTRIES, p.maxEntries);
  w(MapHdr.FLAGS, p.flags);
  w(MapHdr.ID, id);
  w(MapHdr.NCPUS, ncpus);
  w(MapHdr.VALUE_STRIDE, stride);
  w(MapHdr.DATA, data);
  w(MapHdr.COUNT, 0);
  w(MapHdr.SPIN_LOCK, p.spinLockOff === undefined ? 0 : p.spinLockOff + 1);
  return id;
}

export function readParams(arena: Arena, addr: number, name: string): MapParams {
  const u32 = arena.u32;
  const r = (off: number): number => u32[(addr + off) >>> 2]!;
  const lock = r(MapHdr.SPIN_LOCK);
  return {
    name, type: r(MapHdr.TYPE), keySize: r(MapHdr.KEY_SIZE), valueSize: r(MapHdr.VALUE_SIZE),
    maxEntries: r(MapHdr.MAX_ENTRIES), flags: r(MapHdr.FLAGS), ...(lock !== 0 ? { spinLockOff: lock - 1 } : {}),
  };
}

/** A map's creation was refused for its attributes (the kernel's map_alloc_check → -EINVAL / -E2BIG). */
export class MapCreateError extends Error {
  constructor(readonly mapName: string, readonly reason: string) {
    super(`map '${mapName}': ${reason}`);
    this.name = 'MapCreateError';
  }
}
