/**
 * BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY, and global data (.rodata/.data/.bss: an ARRAY with one
 * entry whose value is the section, as libbpf creates it).
 *
 * ```
 *  addr ┌────────────────────────────┐
 *       │ map header (128 B)          │ map-header.ts; data = addr + 128
 *  data ├────────────────────────────┤
 *       │ value(0, cpu 0)             │ value_stride bytes each
 *       │ value(0, cpu 1) ...         │ (per-CPU: ncpus slots per index, each on its own 64 B lines)
 *       │ value(1, cpu 0) ...         │
 *       └────────────────────────────┘
 *  value(i, cpu) = data + (i * ncpus + cpu) * value_stride
 *  value_stride  = round_up(value_size, 8)   ARRAY (kernel: array->elem_size)
 *                = round_up(value_size, 64)  PERCPU_ARRAY
 * ```
 * The key is a u32 index. Lookups past max_entries return NULL; updates past it return -E2BIG; BPF_NOEXIST
 * returns -EEXIST (every element always exists); delete returns -EINVAL (kernel: array_map_*_elem).
 * A value with a struct bpf_spin_lock (header +40): updates leave the lock word alone, and BPF_F_LOCK copies
 * under it (value-copy.ts); BPF_F_LOCK on a map without one, or on PERCPU_ARRAY, is -EINVAL.
 */
import type { Arena } from '../arena.js';
import type { BpfMap } from './bpf-map.js';
import { Errno } from './errno.js';
import { copyValue, copyValueLocked } from './value-copy.js';
import { MAP_HEADER_SIZE, MapCreateError, MapHdr, type MapParams, UpdateFlag, readParams, roundUp, writeHeader } from './map-header.js';

export const ARRAY_DATA_OFFSET = MAP_HEADER_SIZE;
/** Kernel PCPU_MIN_UNIT_SIZE: the largest per-CPU value. */
const PERCPU_MAX_VALUE = 32768;

export class ArrayMap implements BpfMap {
  readonly params: MapParams;
  readonly ncpus: number;
  readonly id: number;
  readonly footprint: number;
  readonly valueStart: number;
  readonly valueEnd: number;
  private readonly stride: number;

  private constructor(private readonly arena: Arena, readonly name: string, readonly addr: number, readonly perCpu: boolean) {
    this.params = readParams(arena, addr, name);
    const u32 = arena.u32;
    this.ncpus = u32[(addr + MapHdr.NCPUS) >>> 2]!;
    this.stride = u32[(addr + MapHdr.VALUE_STRIDE) >>> 2]!;
    this.id = u32[(addr + MapHdr.ID) >>> 2]!;
    this.valueStart = addr + ARRAY_DATA_OFFSET;
    this.valueEnd = this.valueStart + this.params.maxEntries * this.ncpus * this.stride;
    this.footprint = this.valueEnd - addr;
  }

  static create(arena: Arena, p: MapParams, perCpu: boolean): ArrayMap {
    if (p.keySize !== 4) throw new MapCreateError(p.name, `array key_size must be 4, got ${p.keySize}`);
    if (p.valueSize === 0 || p.maxEntries === 0) throw new MapCreateError(p.name, 'value_size and max_entries must be > 0');
    if (perCpu && p.valueSize > PERCPU_MAX_VALUE) throw new MapCreateError(p.name, `per-CPU value_size ${p.valueSize} > ${PERCPU_MAX_VALUE} (E2BIG)`);
    const ncpus = perCpu ? arena.cpus : 1;
    const stride = perCpu ? roundUp(p.valueSize, 64) : roundUp(p.valueSize, 8);
    const addr = arena.alloc(ARRAY_DATA_OFFSET + p.maxEntries * ncpus * stride, `map '${p.name}'`);
    writeHeader(arena, addr, p, ncpus, stride, addr + ARRAY_DATA_OFFSET);
    return new ArrayMap(arena, p.name, addr, perCpu);
  }

  static open(arena: Arena, name: string, addr: number, perCpu: boolean): ArrayMap {
    return new ArrayMap(arena, name, addr, perCpu);
  }

  /** Address of value slot (index, cpu); the caller checked index < max_entries. */
  slot(index: number, cpu: number): number {
    return this.valueStart + (index * this.ncpus + cpu) * this.stride;
  }

  private index(key: Uint8Array): number {
    return (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
  }

  lookup(key: Uint8Array, cpu: number): number {
    const i = this.index(key);
    return i < this.params.maxEntries ? this.slot(i, this.perCpu ? cpu : 0) : 0;
  }

  /** Kernel array_map_update_elem's checks, in its order. */
  private checkUpdate(i: number, flags: number): number {
    // >>> 0: flags is a u32 (an upper-half bit arrives as 0xffffffff), and JS bitwise results are signed.
    if (((flags & ~UpdateFlag.F_LOCK) >>> 0) > UpdateFlag.EXIST) return -Errno.EINVAL;
    if (i >= this.params.maxEntries) return -Errno.E2BIG;
    if ((flags & UpdateFlag.NOEXIST) !== 0) return -Errno.EEXIST;
    if ((flags & UpdateFlag.F_LOCK) !== 0 && (this.perCpu || this.params.spinLockOff === undefined)) return -Errno.EINVAL;
    return 0;
  }

  private store(dst: number, value: Uint8Array, flags: number): void {
    const lockOff = this.params.spinLockOff;
    if ((flags & UpdateFlag.F_LOCK) !== 0 && lockOff !== undefined) copyValueLocked(this.arena.u32, dst, value, this.params.valueSize, lockOff);
    else copyValue(this.arena.u8, dst, value, this.params.valueSize, lockOff);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    const i = this.index(key);
    const err = this.checkUpdate(i, flags);
    if (err) return err;
    this.store(this.slot(i, this.perCpu ? cpu : 0), value, flags);
    return 0;
  }

  delete(): number {
    return -Errno.EINVAL;
  }

  read(key: Uint8Array): Uint8Array[] | undefined {
    const i = this.index(key);
    if (i >= this.params.maxEntries) return undefined;
    const u8 = this.arena.u8;
    const out: Uint8Array[] = [];
    for (let c = 0; c < this.ncpus; c++) {
      const s = this.slot(i, c);
      out.push(u8.slice(s, s + this.params.valueSize));
    }
    return out;
  }

  write(key: Uint8Array, values: readonly Uint8Array[], flags: number): number {
    const i = this.index(key);
    const err = this.checkUpdate(i, flags);
    if (err) return err;
    if (values.length !== 1 && values.length !== this.ncpus) return -Errno.EINVAL;
    for (let c = 0; c < this.ncpus; c++) this.store(this.slot(i, c), values[values.length === 1 ? 0 : c]!, flags);
    return 0;
  }

  keys(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.params.maxEntries; i++) {
      const k = new Uint8Array(4);
      new DataView(k.buffer).setUint32(0, i, true);
      out.push(k);
    }
    return out;
  }

  containsValue(addr: number, size: number): boolean {
    if (addr < this.valueStart || addr + size > this.valueEnd) return false;
    return ((addr - this.valueStart) % this.stride) + size <= this.params.valueSize;
  }
}
