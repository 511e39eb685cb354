/**
 * BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c semantics): keys are `struct bpf_lpm_trie_key { u32
 * prefixlen; u8 data[] }`; a lookup returns the value of the longest stored prefix that matches the
 * key's data within the key's own prefix length.
 *
 * Stored as a table of max_entries slots scanned up to the high-water mark (the kernel's trie is a search
 * structure over the same entries; with the kernel's sizes — hundreds of prefixes — a scan is as fast in
 * practice and keeps the layout trivial for the JIT, jit/lower-map-lpm.ts):
 * ```
 *  addr ┌──────────────────────────────┐
 *       │ map header (128 B)            │ +64 u32 entry_size  +68 u32 value_off  +72 u32 writer lock
 *       │                               │ +76 u32 high: slots [high, max_entries) are all unused
 *  data ├──────────────────────────────┤
 *       │ max_entries × entry:          │
 *       │   +0 u32 used (0 / 1)         │
 *       │   +4 u32 prefixlen            │
 *       │   +8 data[key_size - 4]       │ as written (bits past prefixlen kept, as the kernel keeps them)
 *       │   +value_off value            │ value_off = round_up(4 + key_size, 8)
 *       └──────────────────────────────┘
 * ```
 * Kernel rules: BPF_F_NO_PREALLOC required at creation; data size 1..256 bytes; prefixlen > data bits
 * → -EINVAL; a new prefix in a full map → -ENOSPC; flags, NOEXIST/EXIST as for hashes; delete of a prefix
 * not stored → -ENOENT. Two keys with the same prefixlen and the same first prefixlen bits are one entry.
 * Concurrency: writers hold the lock word; lookups take none (the kernel's RCU readers). A new slot is filled,
 * then published by the atomic store of its `used` word, then `high` is raised past it (atomic store); a
 * delete clears `used` first and lowers `high` over the unused slots at the top. A lookup reads `high` once
 * (atomic load) and each slot's `used` word atomically, so it sees every entry published before it started.
 * Scanning to `high` rather than max_entries keeps a lookup proportional to the slots in use: the first free
 * slot is always the one reused, so `high` stays at the entry count unless deletes leave holes.
 */
import type { Arena } from '../arena.js';
import { MapFlag } from '../../ebpf/object-spec.js';
import type { BpfMap, MapEntry } from './bpf-map.js';
import { Errno } from './errno.js';
import { MAP_HEADER_SIZE, MapCreateError, MapHdr, type MapParams, UpdateFlag, readParams, roundUp, writeHeader } from './map-header.js';

export const LpmHdr = { ENTRY_SIZE: 64, VALUE_OFF: 68, LOCK: 72, HIGH: 76 } as const;
export const LpmEntry = { USED: 0, PREFIXLEN: 4, DATA: 8 } as const;
const MAX_DATA = 256;

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

  private constructor(private readonly arena: Arena, readonly name: string, readonly addr: number) {
    this.params = readParams(arena, addr, name);
    const u32 = arena.u32;
    this.id = u32[(addr + MapHdr.ID) >>> 2]!;
    this.entrySize = u32[(addr + LpmHdr.ENTRY_SIZE) >>> 2]!;
    this.valueOff = u32[(addr + LpmHdr.VALUE_OFF) >>> 2]!;
    this.dataSize = this.params.keySize - 4;
    this.valueStart = u32[(addr + MapHdr.DATA) >>> 2]!;
    this.valueEnd = this.valueStart + this.params.maxEntries * this.entrySize;
    this.footprint = this.valueEnd - addr;
  }

  static create(arena: Arena, p: MapParams): LpmTrieMap {
    const dataSize = p.keySize - 4;
    if ((p.flags & MapFlag.NO_PREALLOC) === 0) throw new MapCreateError(p.name, 'LPM_TRIE requires BPF_F_NO_PREALLOC');
    if (dataSize < 1 || dataSize > MAX_DATA || p.valueSize === 0 || p.maxEntries === 0) {
      throw new MapCreateError(p.name, 'LPM_TRIE needs key_size 5..260, value_size > 0, max_entries > 0');
    }
    const valueOff = roundUp(4 + p.keySize, 8);
    const entrySize = roundUp(valueOff + p.valueSize, 8);
    const addr = arena.alloc(MAP_HEADER_SIZE + p.maxEntries * entrySize, `map '${p.name}'`);
    writeHeader(arena, addr, p, 1, entrySize, addr + MAP_HEADER_SIZE);
    arena.u32[(addr + LpmHdr.ENTRY_SIZE) >>> 2] = entrySize;
    arena.u32[(addr + LpmHdr.VALUE_OFF) >>> 2] = valueOff;
    arena.u32[(addr + LpmHdr.HIGH) >>> 2] = 0;
    return new LpmTrieMap(arena, p.name, addr);
  }

  static open(arena: Arena, name: string, addr: number): LpmTrieMap {
    return new LpmTrieMap(arena, name, addr);
  }

  private entry(i: number): number { return this.valueStart + i * this.entrySize; }

  /** Do the first `bits` bits of `data` (at arena address or key view) equal those of entry `e`? */
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

  /** Longest match within the key's prefix length: the entry address, or 0. */
  private match(key: Uint8Array): number {
    const u32 = this.arena.u32;
    const u8 = this.arena.u8;
    const limit = Math.min(this.prefixlen(key), this.dataSize * 8);
    let best = 0;
    let bestLen = -1;
    const high = this.high(u32);
    for (let i = 0; i < high; i++) {
      const e = this.entry(i);
      if (Atomics.load(u32, (e + LpmEntry.USED) >>> 2) !== 1) continue;
      const len = u32[(e + LpmEntry.PREFIXLEN) >>> 2]!;
      if (len > limit || len <= bestLen) continue;
      if (this.prefixEquals(u8, e, key, len)) { best = e; bestLen = len; }
    }
    return best;
  }

  /** The entry storing exactly this prefix, or 0. */
  private exact(key: Uint8Array): number {
    const u32 = this.arena.u32;
    const len = this.prefixlen(key);
    const high = this.high(u32);
    for (let i = 0; i < high; i++) {
      const e = this.entry(i);
      if (Atomics.load(u32, (e + LpmEntry.USED) >>> 2) === 1 && u32[(e + LpmEntry.PREFIXLEN) >>> 2] === len &&
        this.prefixEquals(this.arena.u8, e, key, len)) return e;
    }
    return 0;
  }

  /** Slots at or past this index are unused. */
  private high(u32: Uint32Array): number {
    return Atomics.load(u32, (this.addr + LpmHdr.HIGH) >>> 2);
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
    if (this.prefixlen(key) > this.dataSize * 8) return -Errno.EINVAL;
    return this.locked(() => {
      const u32 = this.arena.u32;
      const u8 = this.arena.u8;
      let e = this.exact(key);
      if (e !== 0 && flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
      if (e === 0) {
        if (flags === UpdateFlag.EXIST) return -Errno.ENOENT;
        for (let i = 0; i < this.params.maxEntries && e === 0; i++) {
          if (u32[(this.entry(i) + LpmEntry.USED) >>> 2] === 0) e = this.entry(i);
        }
        if (e === 0) return -Errno.ENOSPC;
      }
      u32[(e + LpmEntry.PREFIXLEN) >>> 2] = this.prefixlen(key);
      u8.set(key.subarray(4, 4 + this.dataSize), e + LpmEntry.DATA);
      u8.set(values[0]!.subarray(0, this.params.valueSize), e + this.valueOff);
      if (u32[(e + LpmEntry.USED) >>> 2] === 0) {
        Atomics.store(u32, (e + LpmEntry.USED) >>> 2, 1);
        Atomics.add(u32, (this.addr + MapHdr.COUNT) >>> 2, 1);
        const slot = (e - this.valueStart) / this.entrySize;
        if (slot >= this.high(u32)) Atomics.store(u32, (this.addr + LpmHdr.HIGH) >>> 2, slot + 1);
      }
      return 0;
    });
  }

  delete(key: Uint8Array): number {
    return this.locked(() => {
      const e = this.exact(key);
      if (e === 0) return -Errno.ENOENT;
      const u32 = this.arena.u32;
      Atomics.store(u32, (e + LpmEntry.USED) >>> 2, 0);
      Atomics.sub(u32, (this.addr + MapHdr.COUNT) >>> 2, 1);
      let high = this.high(u32);
      while (high > 0 && u32[(this.entry(high - 1) + LpmEntry.USED) >>> 2] === 0) high--;
      Atomics.store(u32, (this.addr + LpmHdr.HIGH) >>> 2, high);
      return 0;
    });
  }

  /** Control plane reads hold the writer lock: a slot deleted and reused meanwhile is never copied half old. */
  read(key: Uint8Array): Uint8Array[] | undefined {
    return this.locked(() => {
      const e = this.exact(key);
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
