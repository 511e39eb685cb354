/**
 * BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH, DEVMAP_HASH (values: u32 ifindex or struct
 * bpf_devmap_val naming a devmap program, ifindex non-zero, written by userspace only: devmap-value.ts) and HASH_OF_MAPS (value: the inner map's
 * header address, which a program's lookup returns), preallocated as the kernel's default (no
 * BPF_F_NO_PREALLOC): every entry exists from creation, on a free list; bucket chains link the entries in use.
 *
 * ```
 *  addr     ┌──────────────────────────────────────────┐
 *           │ map header (128 B), type-specific part:   │
 *           │  +64 u32 n_buckets (power of 2)           │
 *           │  +68 u32 buckets address                  │
 *           │  +72 u32 entry_size                       │
 *           │  +76 u32 value_off (within an entry)      │
 *           │  +80 u32 free-list head (entry address)   │
 *           │  +84 u32 free-list lock (0 free, 1 held)  │
 *           │  +88 u32 hash seed                        │
 *           │  +92 u32 lru_off (0: not an LRU map)      │
 *           │  +96 u32 LRU head (most recent)  +100 tail │
 *           │  +104 u32 LRU lock                        │
 *  buckets  ├──────────────────────────────────────────┤
 *           │ n_buckets × { u32 lock, u32 head }        │ head = first entry address, 0 = empty
 *  data     ├──────────────────────────────────────────┤  (header.data, 64 B aligned)
 *           │ max_entries × entry:                      │
 *           │   +0 u32 next   (chain or free list)      │
 *           │   +4 u32 hash                             │
 *           │   +8 key[key_size]                        │
 *           │   +value_off value slot × ncpus           │ value_stride apart (per-CPU: 64 B lines)
 *           │   +lru_off { u32 prev, u32 next, u32 ref } │ LRU maps only
 *           └──────────────────────────────────────────┘
 *  bucket   = keyHash(key, seed) & (n_buckets - 1)           (key-hash.ts)
 *  value_off = round_up(8 + key_size, 8)   HASH;   round_up(8 + key_size, 64)  PERCPU_HASH
 *  entry_size = round_up(value_off + ncpus * value_stride, 8)
 * ```
 * Concurrency: updates, deletes and evictions hold the bucket's lock word (Atomics.compareExchange); the free
 * list has its own lock. The control plane's read / keys / entries copy under the bucket lock too (design.md §2:
 * a dump sees each entry whole, and never more than max_entries of them while the data path evicts and reuses).
 * Lookups take no lock (the kernel's RCU readers): an entry is filled before it is published with an atomic
 * store of the bucket head, and a value a program writes in place through its lookup pointer may be read torn,
 * as in the kernel.
 * Kernel conventions (kernel/bpf/hashtab.c): no free entry → -E2BIG; BPF_NOEXIST on a present key → -EEXIST;
 * BPF_EXIST on a missing key → -ENOENT; flags above BPF_EXIST → -EINVAL; delete of a missing key → -ENOENT.
 * A value with a struct bpf_spin_lock (header +40): writes leave its lock word alone (a new entry's starts at
 * 0), and BPF_F_LOCK — plain HASH only, as the kernel — copies an existing value while holding it.
 * A program's update of a per-CPU entry writes its CPU's slot, and a new entry's other slots are zeroed.
 *
 * LRU maps (kernel/bpf/bpf_lru_list.c, common LRU list): an update that finds no free entry evicts one instead
 * of failing. Lookups only set the entry's `ref` bit (as the kernel's bpf_lru_node_set_ref); eviction walks
 * from the tail giving referenced entries a second chance (moved to the head, bit cleared) and takes the first
 * unreferenced one whose bucket lock it can take without waiting (lock order is bucket → LRU everywhere else,
 * so eviction only try-locks buckets). Which entry goes is not compared with the kernel (design.md §4b).
 */
import type { Arena } from '../arena.js';
import { MapType } from '../../ebpf/object-spec.js';
import type { BpfMap, MapEntry } from './bpf-map.js';
import { Errno } from './errno.js';
import { devmapStoredValue } from './devmap-value.js';
import { keyHash } from './key-hash.js';
import { copyValue, copyValueLocked } from './value-copy.js';
import { MAP_HEADER_SIZE, MapCreateError, MapHdr, type MapParams, UpdateFlag, readParams, roundUp, writeHeader } from './map-header.js';

export const HashHdr = {
  N_BUCKETS: 64, BUCKETS: 68, ENTRY_SIZE: 72, VALUE_OFF: 76, FREE_HEAD: 80, FREE_LOCK: 84, SEED: 88,
  LRU_OFF: 92, LRU_HEAD: 96, LRU_TAIL: 100, LRU_LOCK: 104,
} as const;
export const LruNode = { PREV: 0, NEXT: 4, REF: 8, SIZE: 12 } as const;
export const BUCKET_SIZE = 8;
export const Bucket = { LOCK: 0, HEAD: 4 } as const;
export const HashEntry = { NEXT: 0, HASH: 4, KEY: 8 } as const;
/** Kernel: key_size > MAX_BPF_STACK is -E2BIG. */
const MAX_KEY_SIZE = 512;
const PERCPU_MAX_VALUE = 32768;

const nextPow2 = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));

export class HashMap implements BpfMap {
  readonly params: MapParams;
  readonly ncpus: number;
  readonly id: number;
  readonly footprint: number;
  readonly valueStart: number;
  readonly valueEnd: number;
  private readonly nBuckets: number;
  private readonly buckets: number;
  private readonly entrySize: number;
  private readonly valueOff: number;
  private readonly stride: number;
  private readonly seed: number;
  /** Offset of the LRU node in an entry; 0 for plain hash maps. */
  private readonly lruOff: number;

  private constructor(private readonly arena: Arena, readonly name: string, readonly addr: number, readonly perCpu: boolean) {
    this.params = readParams(arena, addr, name);
    const u32 = arena.u32;
    const r = (off: number): number => u32[(addr + off) >>> 2]!;
    this.ncpus = r(MapHdr.NCPUS);
    this.stride = r(MapHdr.VALUE_STRIDE);
    this.id = r(MapHdr.ID);
    this.nBuckets = r(HashHdr.N_BUCKETS);
    this.buckets = r(HashHdr.BUCKETS);
    this.entrySize = r(HashHdr.ENTRY_SIZE);
    this.valueOff = r(HashHdr.VALUE_OFF);
    this.seed = r(HashHdr.SEED);
    this.lruOff = r(HashHdr.LRU_OFF);
    this.valueStart = r(MapHdr.DATA);
    this.valueEnd = this.valueStart + this.params.maxEntries * this.entrySize;
    this.footprint = this.valueEnd - addr;
  }

  static create(arena: Arena, p: MapParams, perCpu: boolean, seed = 0, lru = false): HashMap {
    if (p.keySize === 0 || p.valueSize === 0 || p.maxEntries === 0) {
      throw new MapCreateError(p.name, 'key_size, value_size and max_entries must be > 0');
    }
    if (p.keySize > MAX_KEY_SIZE) throw new MapCreateError(p.name, `key_size ${p.keySize} > ${MAX_KEY_SIZE} (E2BIG)`);
    if (p.type === MapType.DEVMAP_HASH && (p.keySize !== 4 || (p.valueSize !== 4 && p.valueSize !== 8))) {
      throw new MapCreateError(p.name, 'DEVMAP_HASH needs key_size 4 and value_size 4 or 8');
    }
    if (perCpu && p.valueSize > PERCPU_MAX_VALUE) throw new MapCreateError(p.name, `per-CPU value_size ${p.valueSize} > ${PERCPU_MAX_VALUE} (E2BIG)`);
    const ncpus = perCpu ? arena.cpus : 1;
    const stride = perCpu ? roundUp(p.valueSize, 64) : roundUp(p.valueSize, 8);
    const valueOff = roundUp(HashEntry.KEY + p.keySize, perCpu ? 64 : 8);
    const lruOff = lru ? valueOff + ncpus * stride : 0;
    const entrySize = roundUp(valueOff + ncpus * stride + (lru ? LruNode.SIZE : 0), perCpu ? 64 : 8);
    const nBuckets = nextPow2(p.maxEntries);
    const bucketsOff = MAP_HEADER_SIZE;
    const dataOff = roundUp(bucketsOff + nBuckets * BUCKET_SIZE, 64);
    const addr = arena.alloc(dataOff + p.maxEntries * entrySize, `map '${p.name}'`);
    const data = addr + dataOff;
    writeHeader(arena, addr, p, ncpus, stride, data);
    const u32 = arena.u32;
    const w = (off: number, v: number): void => { u32[(addr + off) >>> 2] = v >>> 0; };
    w(HashHdr.N_BUCKETS, nBuckets);
    w(HashHdr.BUCKETS, addr + bucketsOff);
    w(HashHdr.ENTRY_SIZE, entrySize);
    w(HashHdr.VALUE_OFF, valueOff);
    w(HashHdr.SEED, seed);
    w(HashHdr.LRU_OFF, lruOff);
    // Free list: every entry, in address order.
    for (let i = 0; i < p.maxEntries; i++) {
      const e = data + i * entrySize;
      u32[(e + HashEntry.NEXT) >>> 2] = i + 1 < p.maxEntries ? e + entrySize : 0;
    }
    w(HashHdr.FREE_HEAD, data);
    return new HashMap(arena, p.name, addr, perCpu);
  }

  static open(arena: Arena, name: string, addr: number, perCpu: boolean): HashMap {
    return new HashMap(arena, name, addr, perCpu);
  }

  private spinLock(u32: Uint32Array, idx: number): void {
    while (Atomics.compareExchange(u32, idx, 0, 1) !== 0) { /* bucket critical sections are a few dozen loads */ }
  }

  private bucketOf(hash: number): number {
    return this.buckets + (hash & (this.nBuckets - 1)) * BUCKET_SIZE;
  }

  private keyEquals(u8: Uint8Array, entry: number, key: Uint8Array): boolean {
    const k = entry + HashEntry.KEY;
    for (let i = 0; i < this.params.keySize; i++) if (u8[k + i] !== key[i]) return false;
    return true;
  }

  /** The entry holding `key`, 0 when absent. */
  private find(key: Uint8Array, hash: number): number {
    const u32 = this.arena.u32;
    const u8 = this.arena.u8;
    for (let e = Atomics.load(u32, (this.bucketOf(hash) + Bucket.HEAD) >>> 2); e !== 0; e = Atomics.load(u32, (e + HashEntry.NEXT) >>> 2)) {
      if (u32[(e + HashEntry.HASH) >>> 2] === hash && this.keyEquals(u8, e, key)) return e;
    }
    return 0;
  }

  private hash(key: Uint8Array): number {
    return keyHash(key, 0, this.params.keySize, this.seed);
  }

  lookup(key: Uint8Array, cpu: number): number {
    const e = this.find(key, this.hash(key));
    if (e === 0) return 0;
    if (this.lruOff) Atomics.store(this.arena.u32, (e + this.lruOff + LruNode.REF) >>> 2, 1);
    // HASH_OF_MAPS: the value is the inner map's header address, and that is what a lookup returns.
    if (this.params.type === MapType.HASH_OF_MAPS) return this.arena.u32[(e + this.valueOff) >>> 2]!;
    return e + this.valueOff + (this.perCpu ? cpu : 0) * this.stride;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    // DEVMAP_HASH and HASH_OF_MAPS are filled by userspace; programs only look them up.
    if (this.params.type === MapType.DEVMAP_HASH || this.params.type === MapType.HASH_OF_MAPS) return -Errno.EOPNOTSUPP;
    return this.upsert(key, flags, (u8, values, isNew) => {
      if (!this.perCpu) { this.store(values, value, flags, isNew); return; }
      if (isNew) u8.fill(0, values, values + this.ncpus * this.stride);
      u8.set(value.subarray(0, this.params.valueSize), values + cpu * this.stride);
    });
  }

  write(key: Uint8Array, values: readonly Uint8Array[], flags: number): number {
    if (values.length !== 1 && values.length !== this.ncpus) return -Errno.EINVAL;
    if (this.params.type === MapType.DEVMAP_HASH) {
      // struct bpf_devmap_val as the kernel stores it (devmap-value.ts).
      const stored = devmapStoredValue(values[0]!, this.params.valueSize, true);
      if (typeof stored === 'number') return stored;
      values = [stored];
    }
    return this.upsert(key, flags, (_u8, slots, isNew) => {
      for (let c = 0; c < this.ncpus; c++) this.store(slots + c * this.stride, values[values.length === 1 ? 0 : c]!, flags, isNew);
    });
  }

  /**
   * One value slot written (copy_map_value / copy_map_value_locked): a new entry's bpf_spin_lock starts
   * released, an existing one is left alone, and BPF_F_LOCK copies while holding it.
   */
  private store(dst: number, value: Uint8Array, flags: number, isNew: boolean): void {
    const lockOff = this.params.spinLockOff;
    if (lockOff !== undefined && isNew) Atomics.store(this.arena.u32, (dst + lockOff) >>> 2, 0);
    if ((flags & UpdateFlag.F_LOCK) !== 0 && lockOff !== undefined && !isNew) copyValueLocked(this.arena.u32, dst, value, this.params.valueSize, lockOff);
    else copyValue(this.arena.u8, dst, value, this.params.valueSize, lockOff);
  }

  /**
   * Kernel flag checks: BPF_F_LOCK only on a plain HASH whose value has a bpf_spin_lock (htab_map_update_elem;
   * the LRU and per-CPU update paths accept nothing above BPF_EXIST), else -EINVAL.
   */
  private flagsError(flags: number): number {
    // >>> 0: flags is a u32 (an upper-half bit arrives as 0xffffffff), and JS bitwise results are signed.
    if (((flags & ~UpdateFlag.F_LOCK) >>> 0) > UpdateFlag.EXIST) return -Errno.EINVAL;
    if ((flags & UpdateFlag.F_LOCK) !== 0 && (this.lruOff !== 0 || this.perCpu || this.params.spinLockOff === undefined)) return -Errno.EINVAL;
    return 0;
  }

  private upsert(key: Uint8Array, flags: number, fill: (u8: Uint8Array, values: number, isNew: boolean) => void): number {
    const flagsError = this.flagsError(flags);
    if (flagsError) return flagsError;
    const mode = flags & ~UpdateFlag.F_LOCK;
    const hash = this.hash(key);
    const bucket = this.bucketOf(hash);
    const u32 = this.arena.u32;
    const u8 = this.arena.u8;
    // LRU: make room before taking the bucket lock (eviction takes other buckets' locks).
    if (this.lruOff && Atomics.load(u32, (this.addr + HashHdr.FREE_HEAD) >>> 2) === 0) this.evict(u32);
    const lockIdx = (bucket + Bucket.LOCK) >>> 2;
    this.spinLock(u32, lockIdx);
    try {
      const found = this.find(key, hash);
      if (found !== 0) {
        if (mode === UpdateFlag.NOEXIST) return -Errno.EEXIST;
        fill(u8, found + this.valueOff, false);
        return 0;
      }
      if (mode === UpdateFlag.EXIST) return -Errno.ENOENT;
      const e = this.popFree(u32);
      if (e === 0) return -Errno.E2BIG;
      u32[(e + HashEntry.HASH) >>> 2] = hash;
      u8.set(key.subarray(0, this.params.keySize), e + HashEntry.KEY);
      fill(u8, e + this.valueOff, true);
      const headIdx = (bucket + Bucket.HEAD) >>> 2;
      Atomics.store(u32, (e + HashEntry.NEXT) >>> 2, u32[headIdx]!);
      Atomics.store(u32, headIdx, e);
      Atomics.add(u32, (this.addr + MapHdr.COUNT) >>> 2, 1);
      if (this.lruOff) this.lruPushHead(u32, e);
      return 0;
    } finally {
      Atomics.store(u32, lockIdx, 0);
    }
  }

  delete(key: Uint8Array): number {
    const hash = this.hash(key);
    const bucket = this.bucketOf(hash);
    const u32 = this.arena.u32;
    const u8 = this.arena.u8;
    const lockIdx = (bucket + Bucket.LOCK) >>> 2;
    this.spinLock(u32, lockIdx);
    try {
      let link = (bucket + Bucket.HEAD) >>> 2;
      for (let e = u32[link]!; e !== 0; link = (e + HashEntry.NEXT) >>> 2, e = u32[link]!) {
        if (u32[(e + HashEntry.HASH) >>> 2] !== hash || !this.keyEquals(u8, e, key)) continue;
        Atomics.store(u32, link, u32[(e + HashEntry.NEXT) >>> 2]!);
        if (this.lruOff) this.lruUnlinkLocked(u32, e);
        this.pushFree(u32, e);
        Atomics.sub(u32, (this.addr + MapHdr.COUNT) >>> 2, 1);
        return 0;
      }
      return -Errno.ENOENT;
    } finally {
      Atomics.store(u32, lockIdx, 0);
    }
  }

  private lruLock(u32: Uint32Array): number {
    const idx = (this.addr + HashHdr.LRU_LOCK) >>> 2;
    this.spinLock(u32, idx);
    return idx;
  }

  private node(e: number, field: number): number { return (e + this.lruOff + field) >>> 2; }

  private lruPushHead(u32: Uint32Array, e: number): void {
    const lock = this.lruLock(u32);
    this.linkHead(u32, e);
    Atomics.store(u32, lock, 0);
  }

  private linkHead(u32: Uint32Array, e: number): void {
    const headIdx = (this.addr + HashHdr.LRU_HEAD) >>> 2;
    const head = u32[headIdx]!;
    u32[this.node(e, LruNode.PREV)] = 0;
    u32[this.node(e, LruNode.NEXT)] = head;
    u32[this.node(e, LruNode.REF)] = 0;
    if (head !== 0) u32[this.node(head, LruNode.PREV)] = e;
    else u32[(this.addr + HashHdr.LRU_TAIL) >>> 2] = e;
    u32[headIdx] = e;
  }

  private unlink(u32: Uint32Array, e: number): void {
    const prev = u32[this.node(e, LruNode.PREV)]!;
    const next = u32[this.node(e, LruNode.NEXT)]!;
    if (prev !== 0) u32[this.node(prev, LruNode.NEXT)] = next;
    else u32[(this.addr + HashHdr.LRU_HEAD) >>> 2] = next;
    if (next !== 0) u32[this.node(next, LruNode.PREV)] = prev;
    else u32[(this.addr + HashHdr.LRU_TAIL) >>> 2] = prev;
  }

  private lruUnlinkLocked(u32: Uint32Array, e: number): void {
    const lock = this.lruLock(u32);
    this.unlink(u32, e);
    Atomics.store(u32, lock, 0);
  }

  /** Second-chance eviction of one entry onto the free list (see the header comment). */
  private evict(u32: Uint32Array): void {
    const lock = this.lruLock(u32);
    try {
      for (let tries = 0, e = u32[(this.addr + HashHdr.LRU_TAIL) >>> 2]!; e !== 0 && tries < 2 * this.params.maxEntries + 2; tries++) {
        const prev = u32[this.node(e, LruNode.PREV)]!;
        if (Atomics.exchange(u32, this.node(e, LruNode.REF), 0) === 1) {
          this.unlink(u32, e);
          this.linkHead(u32, e);
          e = prev === 0 ? u32[(this.addr + HashHdr.LRU_TAIL) >>> 2]! : prev;
          continue;
        }
        const bucketLock = (this.bucketOf(u32[(e + HashEntry.HASH) >>> 2]!) + Bucket.LOCK) >>> 2;
        if (Atomics.compareExchange(u32, bucketLock, 0, 1) !== 0) { e = prev; continue; }
        let link = bucketLock + 1; // the bucket's head word follows its lock word
        for (let c = u32[link]!; c !== 0 && c !== e; link = (c + HashEntry.NEXT) >>> 2, c = u32[link]!) { /* find e's link */ }
        Atomics.store(u32, link, u32[(e + HashEntry.NEXT) >>> 2]!);
        Atomics.store(u32, bucketLock, 0);
        this.unlink(u32, e);
        Atomics.sub(u32, (this.addr + MapHdr.COUNT) >>> 2, 1);
        this.pushFree(u32, e);
        return;
      }
    } finally {
      Atomics.store(u32, lock, 0);
    }
  }

  private popFree(u32: Uint32Array): number {
    const lockIdx = (this.addr + HashHdr.FREE_LOCK) >>> 2;
    this.spinLock(u32, lockIdx);
    const headIdx = (this.addr + HashHdr.FREE_HEAD) >>> 2;
    const e = u32[headIdx]!;
    if (e !== 0) u32[headIdx] = u32[(e + HashEntry.NEXT) >>> 2]!;
    Atomics.store(u32, lockIdx, 0);
    return e;
  }

  private pushFree(u32: Uint32Array, e: number): void {
    const lockIdx = (this.addr + HashHdr.FREE_LOCK) >>> 2;
    this.spinLock(u32, lockIdx);
    const headIdx = (this.addr + HashHdr.FREE_HEAD) >>> 2;
    u32[(e + HashEntry.NEXT) >>> 2] = u32[headIdx]!;
    u32[headIdx] = e;
    Atomics.store(u32, lockIdx, 0);
  }

  /** Entries in use (the header's atomic count). */
  get count(): number {
    return Atomics.load(this.arena.u32, (this.addr + MapHdr.COUNT) >>> 2);
  }

  /** Copies of an entry's value slots. */
  private copyValues(u8: Uint8Array, e: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let c = 0; c < this.ncpus; c++) {
      const s = e + this.valueOff + c * this.stride;
      out.push(u8.slice(s, s + this.params.valueSize));
    }
    return out;
  }

  /** Control plane: the value copied under the bucket lock, so a concurrent helper update is never seen half-written. */
  read(key: Uint8Array): Uint8Array[] | undefined {
    const hash = this.hash(key);
    const u32 = this.arena.u32;
    const lockIdx = (this.bucketOf(hash) + Bucket.LOCK) >>> 2;
    this.spinLock(u32, lockIdx);
    try {
      const e = this.find(key, hash);
      return e === 0 ? undefined : this.copyValues(this.arena.u8, e);
    } finally {
      Atomics.store(u32, lockIdx, 0);
    }
  }

  keys(): Uint8Array[] {
    return this.entries().map((e) => e.key);
  }

  /**
   * Control plane: every entry, each key and value copied together under its bucket's lock (updates, deletes
   * and evictions change a chain only under that lock, so the walk never strays into the free list). While
   * the data path writes, an entry can be evicted after its bucket was copied and reused for a key in a bucket
   * not yet visited; the snapshot keeps one sighting per physical entry (the later one, as the earlier key is
   * gone), so it never holds more than max_entries entries and never the same key twice.
   */
  entries(): MapEntry[] {
    const u32 = this.arena.u32;
    const u8 = this.arena.u8;
    const byEntry = new Map<number, MapEntry>();
    for (let b = 0; b < this.nBuckets; b++) {
      const bucket = this.buckets + b * BUCKET_SIZE;
      const lockIdx = (bucket + Bucket.LOCK) >>> 2;
      this.spinLock(u32, lockIdx);
      try {
        for (let e = u32[(bucket + Bucket.HEAD) >>> 2]!; e !== 0; e = u32[(e + HashEntry.NEXT) >>> 2]!) {
          byEntry.set(e, { key: u8.slice(e + HashEntry.KEY, e + HashEntry.KEY + this.params.keySize), values: this.copyValues(u8, e) });
        }
      } finally {
        Atomics.store(u32, lockIdx, 0);
      }
    }
    return [...byEntry.values()];
  }

  containsValue(addr: number, size: number): boolean {
    if (addr < this.valueStart || addr + size > this.valueEnd) return false;
    const inEntry = (addr - this.valueStart) % this.entrySize - this.valueOff;
    if (inEntry < 0) return false;
    return (inEntry % this.stride) + size <= this.params.valueSize && inEntry < this.ncpus * this.stride;
  }
}
