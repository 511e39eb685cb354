/**
 * BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (kernel/bpf/queue_stack_maps.c): a ring of max_entries + 1
 * value slots with no keys, used through bpf_map_push_elem / pop_elem / peek_elem.
 *
 * ```
 *  addr ┌──────────────────────────────┐
 *       │ map header (128 B)            │ +64 u32 head  +68 u32 tail  +72 u32 size (= max_entries + 1)
 *       │                               │ +76 u32 lock
 *  data ├──────────────────────────────┤
 *       │ elements[size] × value_size   │ packed, as the kernel's qs->elements
 *       └──────────────────────────────┘
 *  empty: head == tail         full: (head + 1) % size == tail
 *  push writes elements[head], head++;  queue pops elements[tail], tail++;  stack pops elements[head - 1]
 * ```
 * push: flags other than 0 / BPF_EXIST → -EINVAL; full → -E2BIG, or with BPF_EXIST the oldest element is
 * overwritten; pop/peek of an empty map → -ENOENT. Lookup, update and delete by key are not offered
 * (the kernel returns NULL / -EINVAL); userspace update is a push, as the kernel's.
 */
import type { Arena } from '../arena.js';
import { MapType } from '../../ebpf/object-spec.js';
import type { BpfMap } from './bpf-map.js';
import { Errno } from './errno.js';
import { MAP_HEADER_SIZE, MapCreateError, MapHdr, type MapParams, UpdateFlag, readParams, writeHeader } from './map-header.js';

export const QueueStackHdr = { HEAD: 64, TAIL: 68, SIZE: 72, LOCK: 76 } as const;

export class QueueStackMap implements BpfMap {
  readonly params: MapParams;
  readonly perCpu = false;
  readonly ncpus = 1;
  readonly id: number;
  readonly footprint: number;
  /** Programs never hold pointers into the elements. */
  readonly valueStart = 0;
  readonly valueEnd = 0;
  private readonly data: number;
  private readonly size: number;
  private readonly isStack: boolean;

  private constructor(private readonly arena: Arena, readonly name: string, readonly addr: number) {
    this.params = readParams(arena, addr, name);
    const u32 = arena.u32;
    this.id = u32[(addr + MapHdr.ID) >>> 2]!;
    this.data = u32[(addr + MapHdr.DATA) >>> 2]!;
    this.size = u32[(addr + QueueStackHdr.SIZE) >>> 2]!;
    this.isStack = this.params.type === MapType.STACK;
    this.footprint = MAP_HEADER_SIZE + this.size * this.params.valueSize;
  }

  static create(arena: Arena, p: MapParams): QueueStackMap {
    if (p.keySize !== 0 || p.valueSize === 0 || p.maxEntries === 0) {
      throw new MapCreateError(p.name, 'queue/stack maps need key_size 0, value_size > 0 and max_entries > 0');
    }
    const size = p.maxEntries + 1;
    const addr = arena.alloc(MAP_HEADER_SIZE + size * p.valueSize, `map '${p.name}'`);
    writeHeader(arena, addr, p, 1, p.valueSize, addr + MAP_HEADER_SIZE);
    arena.u32[(addr + QueueStackHdr.SIZE) >>> 2] = size;
    return new QueueStackMap(arena, p.name, addr);
  }

  static open(arena: Arena, name: string, addr: number): QueueStackMap {
    return new QueueStackMap(arena, name, addr);
  }

  private locked<T>(f: (u32: Uint32Array) => T): T {
    const u32 = this.arena.u32;
    const lock = (this.addr + QueueStackHdr.LOCK) >>> 2;
    while (Atomics.compareExchange(u32, lock, 0, 1) !== 0) { /* a few word updates and one copy */ }
    try {
      return f(u32);
    } finally {
      Atomics.store(u32, lock, 0);
    }
  }

  /** bpf_map_push_elem: 0 or -errno. */
  push(value: Uint8Array, flags: number): number {
    if (flags !== UpdateFlag.ANY && flags !== UpdateFlag.EXIST) return -Errno.EINVAL;
    return this.locked((u32) => {
      const h = (this.addr + QueueStackHdr.HEAD) >>> 2;
      const t = (this.addr + QueueStackHdr.TAIL) >>> 2;
      if ((u32[h]! + 1) % this.size === u32[t]) {
        if (flags !== UpdateFlag.EXIST) return -Errno.E2BIG;
        u32[t] = (u32[t]! + 1) % this.size;
      }
      this.arena.u8.set(value.subarray(0, this.params.valueSize), this.data + u32[h]! * this.params.valueSize);
      u32[h] = (u32[h]! + 1) % this.size;
      return 0;
    });
  }

  /** bpf_map_pop_elem / bpf_map_peek_elem into `dst`: 0 or -ENOENT. */
  take(dst: number, remove: boolean): number {
    return this.locked((u32) => {
      const h = (this.addr + QueueStackHdr.HEAD) >>> 2;
      const t = (this.addr + QueueStackHdr.TAIL) >>> 2;
      if (u32[h] === u32[t]) return -Errno.ENOENT;
      const index = this.isStack ? (u32[h]! + this.size - 1) % this.size : u32[t]!;
      const src = this.data + index * this.params.valueSize;
      this.arena.u8.copyWithin(dst, src, src + this.params.valueSize);
      if (remove) {
        if (this.isStack) u32[h] = index;
        else u32[t] = (u32[t]! + 1) % this.size;
      }
      return 0;
    });
  }

  lookup(): number { return 0; }
  update(): number { return -Errno.EINVAL; }
  delete(): number { return -Errno.EINVAL; }
  read(): Uint8Array[] | undefined { return undefined; }
  write(_key: Uint8Array, values: readonly Uint8Array[], flags: number): number {
    return values.length === 1 ? this.push(values[0]!, flags) : -Errno.EINVAL;
  }
  keys(): Uint8Array[] { return []; }
  containsValue(): boolean { return false; }
}
