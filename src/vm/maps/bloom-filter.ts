/**
 * BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c): no keys; bpf_map_push_elem adds a value,
 * bpf_map_peek_elem answers 0 ("maybe present") or -ENOENT ("certainly absent").
 *
 * ```
 *  addr ┌──────────────────────────────┐
 *       │ map header (128 B)            │ +64 u32 nr_hash_funcs  +68 u32 bitset_mask (bits - 1)
 *       │                               │ +72 u32 hash_seed
 *  data ├──────────────────────────────┤
 *       │ bitset, (bitset_mask + 1) / 8 │ bit b = byte b >> 3, bit b & 7; set with Atomics.or on u32 words
 *       └──────────────────────────────┘
 *  bit i of a value = jhash(value, value_size, hash_seed + i) & bitset_mask   (jhash.ts, as the kernel)
 * ```
 * Sizing as the kernel (bloom_map_alloc): nr_hash_funcs = map_extra & 0xf, 5 when 0 (other map_extra bits
 * → EINVAL); nr_bits = (max_entries × nr_hash_funcs / 5) × 7, at least 64, rounded up to a power of two,
 * 2^32 past 2^31. The seed is 0 with BPF_F_ZERO_SEED — then every bit, and so every false positive, is the
 * kernel's — and otherwise the runtime's seed (--seed; the kernel draws a random one). push flags other
 * than BPF_ANY → -EINVAL.
 */
import type { Arena } from '../arena.js';
import type { BpfMap } from './bpf-map.js';
import { Errno } from './errno.js';
import { jhash } from './jhash.js';
import { MapFlag } from '../../ebpf/object-spec.js';
import { MAP_HEADER_SIZE, MapCreateError, MapHdr, type MapParams, UpdateFlag, readParams, writeHeader } from './map-header.js';

export const BloomHdr = { NR_HASH_FUNCS: 64, BITSET_MASK: 68, SEED: 72 } as const;
/** Kernel defaults and limits (bloom_filter.c): BPF_BLOOM_FILTER_HASH_FUNCS_MASK, the default count. */
const HASH_FUNCS_MASK = 0xf;
const DEFAULT_HASH_FUNCS = 5;
/** Past 2^31 wanted bits the kernel uses the whole u32 range (bitset_mask U32_MAX). */
const MAX_WANTED_BITS = 2 ** 31;

export class BloomFilterMap implements BpfMap {
  readonly params: MapParams;
  readonly perCpu = false;
  readonly ncpus = 1;
  readonly id: number;
  readonly footprint: number;
  readonly valueStart = 0;
  readonly valueEnd = 0;
  private readonly data: number;
  private readonly mask: number;
  private readonly k: number;
  private readonly seed: number;

  private constructor(private readonly arena: Arena, readonly name: string, readonly addr: number) {
    this.params = readParams(arena, addr, name);
    const u32 = arena.u32;
    this.id = u32[(addr + MapHdr.ID) >>> 2]!;
    this.data = u32[(addr + MapHdr.DATA) >>> 2]!;
    this.k = u32[(addr + BloomHdr.NR_HASH_FUNCS) >>> 2]!;
    this.mask = u32[(addr + BloomHdr.BITSET_MASK) >>> 2]!;
    this.seed = u32[(addr + BloomHdr.SEED) >>> 2]!;
    this.footprint = MAP_HEADER_SIZE + (this.mask + 1) / 8;
  }

  static create(arena: Arena, p: MapParams, seed = 0): BloomFilterMap {
    if (p.keySize !== 0 || p.valueSize === 0 || p.maxEntries === 0) {
      throw new MapCreateError(p.name, 'bloom filters need key_size 0, value_size > 0 and max_entries > 0');
    }
    const extra = p.mapExtra ?? 0;
    if (extra > HASH_FUNCS_MASK) throw new MapCreateError(p.name, `map_extra ${extra} has bits other than the hash function count (EINVAL)`);
    const k = extra & HASH_FUNCS_MASK || DEFAULT_HASH_FUNCS;
    const want = Math.floor((p.maxEntries * k) / 5) * 7;
    const bits = want > MAX_WANTED_BITS ? 2 ** 32 : want <= 64 ? 64 : 2 ** Math.ceil(Math.log2(want));
    const addr = arena.alloc(MAP_HEADER_SIZE + bits / 8, `map '${p.name}'`);
    writeHeader(arena, addr, p, 1, 0, addr + MAP_HEADER_SIZE);
    arena.u32[(addr + BloomHdr.NR_HASH_FUNCS) >>> 2] = k;
    arena.u32[(addr + BloomHdr.BITSET_MASK) >>> 2] = (bits - 1) >>> 0;
    arena.u32[(addr + BloomHdr.SEED) >>> 2] = (p.flags & MapFlag.ZERO_SEED) !== 0 ? 0 : seed >>> 0;
    return new BloomFilterMap(arena, p.name, addr);
  }

  static open(arena: Arena, name: string, addr: number): BloomFilterMap {
    return new BloomFilterMap(arena, name, addr);
  }

  /** Bit `i` of `value` (no array per call: the interpreter and the trampoline run this per packet). */
  private bit(value: Uint8Array, i: number): number {
    return (jhash(value, 0, this.params.valueSize, (this.seed + i) >>> 0) & this.mask) >>> 0;
  }

  push(value: Uint8Array, flags: number): number {
    if (flags !== UpdateFlag.ANY) return -Errno.EINVAL;
    const u32 = this.arena.u32;
    for (let i = 0; i < this.k; i++) {
      const b = this.bit(value, i);
      Atomics.or(u32, (this.data >>> 2) + (b >>> 5), 1 << (b & 31));
    }
    return 0;
  }

  /** 0 when every bit of `value` is set, else -ENOENT. */
  peek(value: Uint8Array): number {
    const u32 = this.arena.u32;
    for (let i = 0; i < this.k; i++) {
      const b = this.bit(value, i);
      if ((Atomics.load(u32, (this.data >>> 2) + (b >>> 5)) & (1 << (b & 31))) === 0) return -Errno.ENOENT;
    }
    return 0;
  }

  lookup(): number { return 0; }
  update(): number { return -Errno.EINVAL; }
  delete(): number { return -Errno.EOPNOTSUPP; }
  read(): Uint8Array[] | undefined { return undefined; }
  write(_key: Uint8Array, values: readonly Uint8Array[], flags: number): number {
    return values.length === 1 ? this.push(values[0]!, flags) : -Errno.EINVAL;
  }
  keys(): Uint8Array[] { return []; }
  containsValue(): boolean { return false; }
}
