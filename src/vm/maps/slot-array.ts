/**
 * Arrays whose slots may be empty: BPF_MAP_TYPE_DEVMAP, CPUMAP, XSKMAP and PROG_ARRAY , ARRAY_OF_MAPS and
 * PERF_EVENT_ARRAY. The kernel keeps a pointer per slot (a net_device, a CPU queue, a socket, a
 * program) that may be NULL; here a slot holds the value userspace wrote plus a presence word.
 *
 * ```
 *  addr ┌──────────────────────────────┐
 *       │ map header (128 B)            │ +64 u32 presence words address
 *  pres ├──────────────────────────────┤
 *       │ u32 present[max_entries]      │ 1 = the slot holds an object, 0 = empty (lookups give NULL)
 *  data ├──────────────────────────────┤  (64 B aligned)
 *       │ value[max_entries]            │ value_stride = round_up(value_size, 8) apart
 *       └──────────────────────────────┘
 * ```
 * Slot values by type (what userspace writes and reads back):
 *  - DEVMAP: u32 ifindex, or struct bpf_devmap_val { u32 ifindex; u32 prog fd/id } (devmap-value.ts: the
 *    program is named by the daemon's program id, run on each frame before it leaves); ifindex 0 empties
 *    the slot.
 *  - CPUMAP: u32 qsize, or struct bpf_cpumap_val { u32 qsize; u32 prog fd/id } (cpumap-value.ts: the program
 *    is named by the daemon's program id, run on the target CPU); qsize 0 empties the slot.
 *  - XSKMAP: u32 consumer id (a socket fd in the kernel).
 *  - PROG_ARRAY: u32 program id in the runtime (1-based, runtime.ts); userspace reads it back as the id.
 *  - ARRAY_OF_MAPS: u32 arena address of the inner map's header; a program's lookup returns that address
 *    itself (the kernel returns the inner `struct bpf_map *`), usable with the map helpers.
 *  - PERF_EVENT_ARRAY: u32 reader id (a perf event fd in the kernel); an empty slot makes
 *    bpf_perf_event_output return -ENOENT, as it does under BPF_PROG_TEST_RUN where nobody reads.
 * Kernel rules mirrored: flags > BPF_EXIST -EINVAL; index ≥ max_entries -E2BIG (update) / -EINVAL
 * (delete); BPF_NOEXIST -EEXIST (as arrays do); CPUMAP qsize > 16384 -EOVERFLOW, a CPU that does not exist
 * -ENODEV. XSKMAP (xsk_map_update_elem) checks the slot instead: BPF_NOEXIST on a filled slot -EEXIST,
 * BPF_EXIST on an empty one -ENOENT. The fd arrays — PROG_ARRAY, PERF_EVENT_ARRAY, ARRAY_OF_MAPS
 * (arraymap.c bpf_fd_array_map_update_elem / fd_array_map_delete_elem) — take BPF_ANY only (else -EINVAL),
 * and delete gives -E2BIG past the end and -ENOENT for an empty slot. Programs may only look DEVMAP and
 * XSKMAP up; values are read-only to them. A value that cannot be a file descriptor (negative as an int)
 * is -EBADF in a PROG_ARRAY (prog_fd_array_get_ptr → bpf_prog_get) and an XSKMAP (sockfd_lookup, checked
 * before the slot's BPF_NOEXIST / BPF_EXIST rules), as is a PROG_ARRAY id that names no program of the
 * runtime owning the map (`programExists`, set by that runtime: the kernel's fd that is not open).
 */
import type { Arena } from '../arena.js';
import { MapType } from '../../ebpf/object-spec.js';
import type { BpfMap } from './bpf-map.js';
import { Errno } from './errno.js';
import { devmapStoredValue } from './devmap-value.js';
import { CPUMAP_MAX_QSIZE, cpumapStoredValue } from './cpumap-value.js';
import { MAP_HEADER_SIZE, MapCreateError, MapHdr, type MapParams, UpdateFlag, readParams, roundUp, writeHeader } from './map-header.js';

export const SlotArrayHdr = { PRESENT: 64 } as const;
const EOVERFLOW = 75;
const ENODEV = 19;

export class SlotArrayMap implements BpfMap {
  readonly params: MapParams;
  readonly perCpu = false;
  readonly ncpus = 1;
  readonly id: number;
  readonly footprint: number;
  readonly valueStart: number;
  readonly valueEnd: number;
  private readonly stride: number;
  private readonly present: number;
  /** PROG_ARRAY: whether a program id names a program (set by the runtime that links its programs). */
  programExists: ((id: number) => boolean) | null = null;

  private constructor(private readonly arena: Arena, readonly name: string, readonly addr: number) {
    this.params = readParams(arena, addr, name);
    const u32 = arena.u32;
    this.id = u32[(addr + MapHdr.ID) >>> 2]!;
    this.stride = u32[(addr + MapHdr.VALUE_STRIDE) >>> 2]!;
    this.present = u32[(addr + SlotArrayHdr.PRESENT) >>> 2]!;
    this.valueStart = u32[(addr + MapHdr.DATA) >>> 2]!;
    this.valueEnd = this.valueStart + this.params.maxEntries * this.stride;
    this.footprint = this.valueEnd - addr;
  }

  static create(arena: Arena, p: MapParams): SlotArrayMap {
    if (p.keySize !== 4 || p.maxEntries === 0) throw new MapCreateError(p.name, 'key_size must be 4 and max_entries > 0');
    const twoWords = p.type === MapType.DEVMAP || p.type === MapType.CPUMAP;
    if (twoWords ? p.valueSize !== 4 && p.valueSize !== 8 : p.valueSize !== 4) {
      throw new MapCreateError(p.name, `value_size ${p.valueSize} is not ${twoWords ? '4 or 8' : '4'}`);
    }
    const stride = roundUp(p.valueSize, 8);
    const dataOff = roundUp(MAP_HEADER_SIZE + 4 * p.maxEntries, 64);
    const addr = arena.alloc(dataOff + stride * p.maxEntries, `map '${p.name}'`);
    writeHeader(arena, addr, p, 1, stride, addr + dataOff);
    arena.u32[(addr + SlotArrayHdr.PRESENT) >>> 2] = addr + MAP_HEADER_SIZE;
    return new SlotArrayMap(arena, p.name, addr);
  }

  static open(arena: Arena, name: string, addr: number): SlotArrayMap {
    return new SlotArrayMap(arena, name, addr);
  }

  private index(key: Uint8Array): number {
    return (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
  }

  /** The slot's value address when it holds an object, else 0 (any index; out of range is empty). */
  slot(index: number): number {
    if (index >= this.params.maxEntries) return 0;
    return Atomics.load(this.arena.u32, (this.present >>> 2) + index) ? this.valueStart + index * this.stride : 0;
  }

  /** The slot's first u32 (ifindex, qsize, consumer id, program id) when present. */
  word(index: number): number | undefined {
    const a = this.slot(index);
    return a === 0 ? undefined : this.arena.u32[a >>> 2]!;
  }

  lookup(key: Uint8Array): number {
    if (this.params.type === MapType.ARRAY_OF_MAPS) return this.word(this.index(key)) ?? 0;
    return this.slot(this.index(key));
  }

  /** Programs cannot update or delete in these maps (the verifier refuses it; the kernel has no path). */
  update(): number {
    return -Errno.EOPNOTSUPP;
  }

  /** Slots of the kernel's fd arrays (arraymap.c), whose update and delete rules differ from devmap's. */
  private isFdArray(): boolean {
    const t = this.params.type;
    return t === MapType.PROG_ARRAY || t === MapType.PERF_EVENT_ARRAY || t === MapType.ARRAY_OF_MAPS;
  }

  delete(key: Uint8Array): number {
    const i = this.index(key);
    const fd = this.isFdArray();
    if (i >= this.params.maxEntries) return fd ? -Errno.E2BIG : -Errno.EINVAL;
    const was = Atomics.exchange(this.arena.u32, (this.present >>> 2) + i, 0);
    return fd && was === 0 ? -Errno.ENOENT : 0;
  }

  read(key: Uint8Array): Uint8Array[] | undefined {
    const a = this.slot(this.index(key));
    return a === 0 ? undefined : [this.arena.u8.slice(a, a + this.params.valueSize)];
  }

  write(key: Uint8Array, values: readonly Uint8Array[], flags: number): number {
    const i = this.index(key);
    if (flags > UpdateFlag.EXIST || (this.isFdArray() && flags !== UpdateFlag.ANY)) return -Errno.EINVAL;
    if (i >= this.params.maxEntries) return -Errno.E2BIG;
    const fdErr = this.badFd(values[0]);
    if (fdErr !== 0) return fdErr;
    if (this.params.type === MapType.XSKMAP) {
      const filled = this.slot(i) !== 0;
      if (filled && flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
      if (!filled && flags === UpdateFlag.EXIST) return -Errno.ENOENT;
    } else if (flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    let v = values[0];
    if (values.length !== 1 || !v || v.length < this.params.valueSize) return -Errno.EINVAL;
    if (this.params.type === MapType.DEVMAP) {
      const stored = devmapStoredValue(v, this.params.valueSize, false);
      if (typeof stored === 'number') return stored;
      v = stored;
    } else if (this.params.type === MapType.CPUMAP) {
      v = cpumapStoredValue(v, this.params.valueSize);
    }
    const first = new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(0, true);
    let present = true;
    switch (this.params.type) {
      case MapType.DEVMAP: present = first !== 0; break;
      case MapType.CPUMAP:
        if (first > CPUMAP_MAX_QSIZE) return -EOVERFLOW;
        if (i >= this.arena.cpus) return -ENODEV;
        present = first !== 0;
        break;
    }
    const u32 = this.arena.u32;
    this.arena.u8.set(v.subarray(0, this.params.valueSize), this.valueStart + i * this.stride);
    Atomics.store(u32, (this.present >>> 2) + i, present ? 1 : 0);
    return 0;
  }

  /** -EBADF when the value of a PROG_ARRAY / XSKMAP write cannot name a program / socket, else 0. */
  private badFd(v: Uint8Array | undefined): number {
    const t = this.params.type;
    if ((t !== MapType.PROG_ARRAY && t !== MapType.XSKMAP) || !v || v.length < 4) return 0;
    const fd = new DataView(v.buffer, v.byteOffset, v.byteLength).getInt32(0, true);
    if (fd < 0) return -Errno.EBADF;
    if (t === MapType.PROG_ARRAY && this.programExists && !this.programExists(fd)) return -Errno.EBADF;
    return 0;
  }

  keys(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.params.maxEntries; i++) {
      if (this.slot(i) !== 0) out.push(Uint8Array.of(i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, i >>> 24));
    }
    return out;
  }

  containsValue(addr: number, size: number): boolean {
    if (addr < this.valueStart || addr + size > this.valueEnd) return false;
    return ((addr - this.valueStart) % this.stride) + size <= this.params.valueSize;
  }
}
