/**
 * BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c semantics): keys are `struct bpf_lpm_trie_key { u32
 * prefixlen; u8 data[] }`; a lookup returns the value of the longest stored prefix that matches the
 * key's data within the key's own prefix length.
 *
 * Entries live in a table of max_entries slots (their order is the order keys() and get_next_key report);
 * lookups go through an index keyed by (prefix length, the prefix's bits): a table giving, for each length,
 * the longest prefix length present at or below it, and a chained hash table over all entries. A lookup probes the present lengths from the longest
 * allowed down and stops at the first hit, so it costs O(distinct prefix lengths) — at most data bits + 1,
 * as the kernel's trie walk costs O(prefix bits) — whatever the entry count (jit/lower-map-lpm.ts does the
 * same in wasm):
 * ```
 *  addr     ┌──────────────────────────────┐
 *           │ map header (128 B)            │ +64 u32 entry_size  +68 u32 value_off  +72 u32 writer lock
 *           │                               │ +76 u32 high: slots [high, max_entries) are all unused
 *           │                               │ +80 u32 bucket mask (n_buckets - 1, n_buckets a power of 2)
 *           │                               │ +84 u32 buckets address  +88 u32 below address
 *           │                               │ +92 u32 counts address
 *  data     ├──────────────────────────────┤
 *           │ max_entries × entry:          │
 *           │   +0 u32 used (0 / 1)         │
 *           │   +4 u32 next (entry address in the same bucket, 0 = end)
 *           │   +8 u32 prefixlen            │
 *           │   +12 data[key_size - 4]      │ as written (bits past prefixlen kept, as the kernel keeps them)
 *           │   +value_off value            │ value_off = round_up(8 + key_size, 8)
 *  buckets  ├──────────────────────────────┤
 *           │ n_buckets × u32 head          │ first entry address, 0 = empty; n_buckets = pow2 ≥ 2 × max_entries
 *           │                               │ (most heads empty: probing an absent length rarely reads an entry)
 *  below    ├──────────────────────────────┤
 *           │ (data bits + 1) × i32         │ [L] = the longest prefixlen ≤ L that an entry has, or -1
 *  counts   ├──────────────────────────────┤
 *           │ (data bits + 1) × u32         │ entries per prefix length (writers only)
 *           └──────────────────────────────┘
 *  bucket = lpmPrefixHash(data, prefixlen) & mask   (lpm-prefix-hash.ts)
 * ```
 * Kernel rules: BPF_F_NO_PREALLOC required at creation; data size 1..256 bytes; prefixlen > data bits
 * → -EINVAL; a new prefix in a full map → -ENOSPC; flags, NOEXIST/EXIST as for hashes; delete of a prefix
 * not stored → -ENOENT. Two keys with the same prefixlen and the same first prefixlen bits are one entry.
 * Concurrency (as hash.ts): writers hold the lock word; lookups take none (the kernel's RCU readers). A new
 * entry is filled (its `next` set to the bucket's head), its `used` word stored atomically, then it is
 * published by the atomic store of the bucket head, then, if its length is new, the `below` words from its
 * length up are stored atomically. A delete unlinks the entry with one atomic store of its predecessor's link,
 * leaving the entry's own `next` intact for a lookup standing on it, clears `used`, and rewrites `below` the
 * same way when its length's count reaches 0. A lookup reads `below` words, heads, links and `used` words
 * atomically, so it sees every entry published before it started (a `below` word read mid-rewrite still names
 * a length at or above every length present both before and after, so no such length is skipped). Without RCU's grace period a slot deleted and reused at once may send a lookup standing on it to
 * another chain (and a value may be read torn), as hash.ts accepts for its reused entries. The first free slot
 * is always the one reused, so the slot order stays what the kernel-checked get_next_key order expects, and
 * `high` bounds the control plane's walks over the slots.
 */
import type { Arena } from '../arena.js';
import { MapFlag } from '../../ebpf/object-spec.js';
import type { BpfMap, MapEntry } from './bpf-map.js';
import { Errno } from './errno.js';
import { lpmPrefixHash } from './lpm-prefix-hash.js';
import { MAP_HEADER_SIZE, MapCreateError, MapHdr, type MapParams, UpdateFlag, readParams, roundUp, writeHeader } from './map-header.js';

export const LpmHdr = {
  ENTRY_SIZE: 64, VALUE_OFF: 68, LOCK: 72, HIGH: 76, BUCKET_MASK: 80, BUCKETS: 84, BELOW: 88, COUNTS: 92,
} as const;
export const LpmEntry = { USED: 0, NEXT: 4, PREFIXLEN: 8, DATA: 12 } as const;
const MAX_DATA = 256;

const nextPow2 = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));

export class LpmTrieMap implements BpfMap {
  readonly params: MapParams;
  readonly perCpu = false;
  readonly ncpus = 1;
  readonly id: number;
  readonly footprint: number;
  readonly valueStart: number;
  readonly valueEnd: number;
  private readonly entrySize: number;
  private readonly valueOff: number;
  private readonly dataSize: number;
  private readonly bucketMask: number;
  private readonly buckets: number;
  private readonly below: number;
  private readonly counts: number;

  private constructor(private readonly arena: Arena, readonly name: string, readonly addr: number) {
    this.params = readParams(arena, addr, name);
    const u32 = arena.u32;
    const r = (off: number): number => u32[(addr + off) >>> 2]!;
    this.id = r(MapHdr.ID);
    this.entrySize = r(LpmHdr.ENTRY_SIZE);
    this.valueOff = r(LpmHdr.VALUE_OFF);
    this.dataSize = this.params.keySize - 4;
    this.valueStart = r(MapHdr.DATA);
    this.valueEnd = this.valueStart + this.params.maxEntries * this.entrySize;
    this.bucketMask = r(LpmHdr.BUCKET_MASK);
    this.buckets = r(LpmHdr.BUCKETS);
    this.below = r(LpmHdr.BELOW);
    this.counts = r(LpmHdr.COUNTS);
    this.footprint = this.counts + 4 * (this.dataSize * 8 + 1) - addr;
  }

  static create(arena: Arena, p: MapParams): LpmTrieMap {
    const dataSize = p.keySize - 4;
    if ((p.flags & MapFlag.NO_PREALLOC) === 0) throw new MapCreateError(p.name, 'LPM_TRIE requires BPF_F_NO_PREALLOC');
    if (dataSize < 1 || dataSize > MAX_DATA || p.valueSize === 0 || p.maxEntries === 0) {
      throw new MapCreateError(p.name, 'LPM_TRIE needs key_size 5..260, value_size > 0, max_entries > 0');
    }
    const valueOff = roundUp(LpmEntry.DATA + dataSize, 8);
    const entrySize = roundUp(valueOff + p.valueSize, 8);
    const nBuckets = nextPow2(2 * p.maxEntries);
    const bits = dataSize * 8;
    const slots = p.maxEntries * entrySize;
    const indexBytes = 4 * (nBuckets + 2 * (bits + 1));
    const addr = arena.alloc(MAP_HEADER_SIZE + slots + indexBytes, `map '${p.name}'`);
    const data = addr + MAP_HEADER_SIZE;
    writeHeader(arena, addr, p, 1, entrySize, data);
    const u32 = arena.u32;
    const w = (off: number, v: number): void => { u32[(addr + off) >>> 2] = v; };
    const buckets = data + slots;
    const below = buckets + 4 * nBuckets;
    const counts = below + 4 * (bits + 1);
    w(LpmHdr.ENTRY_SIZE, entrySize);
    w(LpmHdr.VALUE_OFF, valueOff);
    w(LpmHdr.HIGH, 0);
    w(LpmHdr.BUCKET_MASK, nBuckets - 1);
    w(LpmHdr.BUCKETS, buckets);
    w(LpmHdr.BELOW, below);
    w(LpmHdr.COUNTS, counts);
    u32.fill(0, data >>> 2, (data + slots + indexBytes) >>> 2);
    u32.fill(0xffffffff, below >>> 2, counts >>> 2);
    return new LpmTrieMap(arena, p.name, addr);
  }

  static open(arena: Arena, name: string, addr: number): LpmTrieMap {
    return new LpmTrieMap(arena, name, addr);
  }

  private entry(i: number): number { return this.valueStart + i * this.entrySize; }

  /** Do the first `bits` bits of entry `e`'s data equal those of the key's data? */
  private prefixEquals(u8: Uint8Array, e: number, key: Uint8Array, bits: number): boolean {
    const full = bits >>> 3;
    for (let i = 0; i < full; i++) if (u8[e + LpmEntry.DATA + i] !== key[4 + i]) return false;
    const rest = bits & 7;
    if (rest === 0) return true;
    const mask = (0xff << (8 - rest)) & 0xff;
    return ((u8[e + LpmEntry.DATA + full]! ^ key[4 + full]!) & mask) === 0;
  }

  private prefixlen(key: Uint8Array): number {
    return (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
  }

  private bucket(key: Uint8Array, len: number): number {
    return this.buckets + 4 * (lpmPrefixHash(key, 4, this.dataSize, len) & this.bucketMask);
  }

  /** The entry storing prefix length `len` with the key's first `len` bits, or 0 (lock-free walk). */
  private probe(key: Uint8Array, len: number): number {
    const u32 = this.arena.u32;
    const u8 = this.arena.u8;
    for (let e = Atomics.load(u32, this.bucket(key, len) >>> 2); e !== 0; e = Atomics.load(u32, (e + LpmEntry.NEXT) >>> 2)) {
      if (Atomics.load(u32, (e + LpmEntry.USED) >>> 2) === 1 && u32[(e + LpmEntry.PREFIXLEN) >>> 2] === len &&
        this.prefixEquals(u8, e, key, len)) return e;
    }
    return 0;
  }

  /** The longest prefix length present at or below `len`, or -1. */
  private presentBelow(len: number): number {
    return Atomics.load(this.arena.u32, (this.below >>> 2) + len) | 0;
  }

  /** Longest match within the key's prefix length (the present lengths, longest first): the entry address, or 0. */
  private match(key: Uint8Array): number {
    for (let len = this.presentBelow(Math.min(this.prefixlen(key), this.dataSize * 8)); len >= 0;
      len = len === 0 ? -1 : this.presentBelow(len - 1)) {
      const e = this.probe(key, len);
      if (e !== 0) return e;
    }
    return 0;
  }

  /**
   * After length `len` appeared or disappeared (writer lock held): rewrite `below` from `len` up to the next
   * length present above it, each word with one atomic store.
   */
  private relinkLengths(len: number): void {
    const u32 = this.arena.u32;
    const counts = this.counts >>> 2;
    const below = this.below >>> 2;
    let present = len === 0 ? -1 : u32[below + len - 1]! | 0;
    for (let l = len; l <= this.dataSize * 8 && (l === len || u32[counts + l] === 0); l++) {
      if (u32[counts + l] !== 0) present = l;
      Atomics.store(u32, below + l, present);
    }
  }

  lookup(key: Uint8Array): number {
    const e = this.match(key);
    return e === 0 ? 0 : e + this.valueOff;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.write(key, [value], flags);
  }

  private locked<T>(f: () => T): T {
    const u32 = this.arena.u32;
    const lock = (this.addr + LpmHdr.LOCK) >>> 2;
    while (Atomics.compareExchange(u32, lock, 0, 1) !== 0) { /* writers only */ }
    try { return f(); } finally { Atomics.store(u32, lock, 0); }
  }

  write(key: Uint8Array, values: readonly Uint8Array[], flags: number): number {
    if (flags > UpdateFlag.EXIST || values.length !== 1) return -Errno.EINVAL;
    const len = this.prefixlen(key);
    if (len > this.dataSize * 8) return -Errno.EINVAL;
    return this.locked(() => {
      const u32 = this.arena.u32;
      const u8 = this.arena.u8;
      const found = this.probe(key, len);
      if (found !== 0 && flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
      if (found === 0 && flags === UpdateFlag.EXIST) return -Errno.ENOENT;
      let e = found;
      for (let i = 0; i < this.params.maxEntries && e === 0; i++) {
        if (u32[(this.entry(i) + LpmEntry.USED) >>> 2] === 0) e = this.entry(i);
      }
      if (e === 0) return -Errno.ENOSPC;
      u32[(e + LpmEntry.PREFIXLEN) >>> 2] = len;
      u8.set(key.subarray(4, 4 + this.dataSize), e + LpmEntry.DATA);
      u8.set(values[0]!.subarray(0, this.params.valueSize), e + this.valueOff);
      if (found === 0) this.publish(e, key, len);
      return 0;
    });
  }

  /** Link a filled entry into its bucket and the length bitmap (writer lock held). */
  private publish(e: number, key: Uint8Array, len: number): void {
    const u32 = this.arena.u32;
    const head = this.bucket(key, len) >>> 2;
    u32[(e + LpmEntry.NEXT) >>> 2] = u32[head]!;
    Atomics.store(u32, (e + LpmEntry.USED) >>> 2, 1);
    Atomics.store(u32, head, e);
    if (u32[(this.counts >>> 2) + len]++ === 0) this.relinkLengths(len);
    Atomics.add(u32, (this.addr + MapHdr.COUNT) >>> 2, 1);
    const slot = (e - this.valueStart) / this.entrySize;
    if (slot >= this.high(u32)) Atomics.store(u32, (this.addr + LpmHdr.HIGH) >>> 2, slot + 1);
  }

  /** Slots at or past this index are unused. */
  private high(u32: Uint32Array): number {
    return Atomics.load(u32, (this.addr + LpmHdr.HIGH) >>> 2);
  }

  delete(key: Uint8Array): number {
    const len = this.prefixlen(key);
    if (len > this.dataSize * 8) return -Errno.ENOENT;
    return this.locked(() => {
      const u32 = this.arena.u32;
      const u8 = this.arena.u8;
      let link = this.bucket(key, len);
      let e = u32[link >>> 2]!;
      while (e !== 0 && !(u32[(e + LpmEntry.PREFIXLEN) >>> 2] === len && this.prefixEquals(u8, e, key, len))) {
        link = e + LpmEntry.NEXT;
        e = u32[link >>> 2]!;
      }
      if (e === 0) return -Errno.ENOENT;
      Atomics.store(u32, link >>> 2, u32[(e + LpmEntry.NEXT) >>> 2]!);
      Atomics.store(u32, (e + LpmEntry.USED) >>> 2, 0);
      if (--u32[(this.counts >>> 2) + len]! === 0) this.relinkLengths(len);
      Atomics.sub(u32, (this.addr + MapHdr.COUNT) >>> 2, 1);
      let high = this.high(u32);
      while (high > 0 && u32[(this.entry(high - 1) + LpmEntry.USED) >>> 2] === 0) high--;
      Atomics.store(u32, (this.addr + LpmHdr.HIGH) >>> 2, high);
      return 0;
    });
  }

  /** Control plane reads hold the writer lock: a slot deleted and reused meanwhile is never copied half old. */
  read(key: Uint8Array): Uint8Array[] | undefined {
    const len = this.prefixlen(key);
    if (len > this.dataSize * 8) return undefined;
    return this.locked(() => {
      const e = this.probe(key, len);
      return e === 0 ? undefined : [this.arena.u8.slice(e + this.valueOff, e + this.valueOff + this.params.valueSize)];
    });
  }

  keys(): Uint8Array[] {
    return this.entries().map((e) => e.key);
  }

  entries(): MapEntry[] {
    return this.locked(() => {
      const u32 = this.arena.u32;
      const u8 = this.arena.u8;
      const out: MapEntry[] = [];
      const high = this.high(u32);
      for (let i = 0; i < high; i++) {
        const e = this.entry(i);
        if (u32[(e + LpmEntry.USED) >>> 2] !== 1) continue;
        out.push({
          key: u8.slice(e + LpmEntry.PREFIXLEN, e + LpmEntry.PREFIXLEN + this.params.keySize),
          values: [u8.slice(e + this.valueOff, e + this.valueOff + this.params.valueSize)],
        });
      }
      return out;
    });
  }

  containsValue(addr: number, size: number): boolean {
    if (addr < this.valueStart || addr + size > this.valueEnd) return false;
    const off = (addr - this.valueStart) % this.entrySize - this.valueOff;
    return off >= 0 && off + size <= this.params.valueSize;
  }
}
