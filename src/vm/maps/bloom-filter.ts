/**
 * BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c): no keys; bpf_map_push_elem adds a value,
 * bpf_map_peek_elem answers 0 ("maybe present") or -ENOENT ("certainly absent").
 *
 * ```
 *  addr ┌──────────────────────────────┐
 *       │ map header (128 B)            │ +64 u32 nr_hash_funcs  +68 u32 bitset_mask (bits - 1)
 *  data ├──────────────────────────────┤
 *       │ bitset, (bitset_mask + 1) / 8 │ bit b = byte b >> 3, bit b & 7; set with Atomics.or on u32 words
 *       └──────────────────────────────┘
 *  hash i of a value = keyHash(value, seed = i)   (key-hash.ts)   bit = hash & bitset_mask
 * ```
 * Sizing as the kernel: 5 hash functions (the default; map_extra is not in the ObjectSpec), nr_bits =
 * max_entries × 5 × 7 / 5 rounded up to a power of two (at least 64). The kernel's jhash with a random seed
 * makes false positives differ run to run; so do ours differ from the kernel's. push flags other than
 * BPF_ANY → -EINVAL.
 */
import type { Arena } from '../arena.js';
import type { BpfMap } from './bpf-map.js';
import { Errno } from './errno.js';
import { keyHash } from './key-hash.js';
import { MAP_HEADER_SIZE, MapCreateError, MapHdr, type MapParams, UpdateFlag, readParams, writeHeader } from './map-header.js';

export const BloomHdr = { NR_HASH_FUNCS: 64, BITSET_MASK: 68 } as const;
const NR_HASH_FUNCS = 5;

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

  private constructor(private readonly arena: Arena, readonly name: string, readonly addr: number) {
    this.params = readParams(arena, addr, name);
    const u32 = arena.u32;
    this.id = u32[(addr + MapHdr.ID) >>> 2]!;
    this.data = u32[(addr + MapHdr.DATA) >>> 2]!;
    this.k = u32[(addr + BloomHdr.NR_HASH_FUNCS) >>> 2]!;
    this.mask = u32[(addr + BloomHdr.BITSET_MASK) >>> 2]!;
    this.footprint = MAP_HEADER_SIZE + (this.mask + 1) / 8;
  }

  static create(arena: Arena, p: MapParams): BloomFilterMap {
    if (p.keySize !== 0 || p.valueSize === 0 || p.maxEntries === 0) {
      throw new MapCreateError(p.name, 'bloom filters need key_size 0, value_size > 0 and max_entries > 0');
    }
    const want = Math.floor((p.maxEntries * NR_HASH_FUNCS) / 5) * 7;
    if (want > 2 ** 31) throw new MapCreateError(p.name, `a bitset of ${want} bits is beyond this arena's maps`);
    const bits = want <= 64 ? 64 : 2 ** Math.ceil(Math.log2(want));
    const addr = arena.alloc(MAP_HEADER_SIZE + bits / 8, `map '${p.name}'`);
    writeHeader(arena, addr, p, 1, 0, addr + MAP_HEADER_SIZE);
    arena.u32[(addr + BloomHdr.NR_HASH_FUNCS) >>> 2] = NR_HASH_FUNCS;
    arena.u32[(addr + BloomHdr.BITSET_MASK) >>> 2] = bits - 1;
    return new BloomFilterMap(arena, p.name, addr);
  }

  static open(arena: Arena, name: string, addr: number): BloomFilterMap {
    return new BloomFilterMap(arena, name, addr);
  }

  private bits(value: Uint8Array): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.k; i++) out.push((keyHash(value, 0, this.params.valueSize, i) & this.mask) >>> 0);
    return out;
  }

  push(value: Uint8Array, flags: number): number {
    if (flags !== UpdateFlag.ANY) return -Errno.EINVAL;
    const u32 = this.arena.u32;
    for (const b of this.bits(value)) Atomics.or(u32, (this.data >>> 2) + (b >>> 5), 1 << (b & 31));
    return 0;
  }

  /** 0 when every bit of `value` is set, else -ENOENT. */
  peek(value: Uint8Array): number {
    const u32 = this.arena.u32;
    for (const b of this.bits(value)) if ((Atomics.load(u32, (this.data >>> 2) + (b >>> 5)) & (1 << (b & 31))) === 0) return -Errno.ENOENT;
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
