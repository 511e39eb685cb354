/**
 * BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c): one buffer shared by all CPUs, records delivered in
 * reservation order. Records are an 8-byte header then the sample, rounded up to 8 bytes.
 *
 * ```
 *  addr ┌──────────────────────────────┐
 *       │ map header (128 B)            │ +64 u32 consumer_pos  +68 u32 producer_pos  +72 u32 lock
 *       │                               │ +76 u32 mask (= max_entries - 1)
 *  data ├──────────────────────────────┤  (64 B aligned)
 *       │ ring, max_entries bytes       │ record at data + (pos & mask):
 *       │ + max_entries bytes of spill  │   +0 u32 len | BUSY (1 << 31) | DISCARD (1 << 30)  +4 u32 pg_off
 *       └──────────────────────────────┘   +8 sample
 * ```
 * The kernel maps the ring's pages twice so a record that wraps is contiguous; here the ring is followed by a
 * second max_entries bytes, and a record that wraps is written (and read) contiguously past the end.
 * Positions are free-running u32 counters. Reservation fails (NULL / -EAGAIN) when the producer would get
 * more than mask bytes ahead of the consumer; `xdpjit run` has no consumer (as BPF_PROG_TEST_RUN has none),
 * so a ring fills up exactly as the kernel's does, and records are observed as they are submitted.
 */
import type { Arena } from '../arena.js';
import type { BpfMap } from './bpf-map.js';
import { Errno } from './errno.js';
import { MAP_HEADER_SIZE, MapCreateError, MapHdr, type MapParams, readParams, writeHeader } from './map-header.js';

export const RingbufHdr = { CONSUMER_POS: 64, PRODUCER_POS: 68, LOCK: 72, MASK: 76 } as const;
export const RINGBUF_HDR_SZ = 8;
export const RINGBUF_BUSY_BIT = 1 << 31;
export const RINGBUF_DISCARD_BIT = 1 << 30;
const PAGE_SIZE = 4096;

export class RingbufMap implements BpfMap {
  readonly params: MapParams;
  readonly perCpu = false;
  readonly ncpus = 1;
  readonly id: number;
  readonly footprint: number;
  readonly valueStart: number;
  readonly valueEnd: number;
  private readonly mask: number;

  private constructor(private readonly arena: Arena, readonly name: string, readonly addr: number) {
    this.params = readParams(arena, addr, name);
    const u32 = arena.u32;
    this.id = u32[(addr + MapHdr.ID) >>> 2]!;
    this.mask = u32[(addr + RingbufHdr.MASK) >>> 2]!;
    this.valueStart = u32[(addr + MapHdr.DATA) >>> 2]!;
    this.valueEnd = this.valueStart + 2 * (this.mask + 1);
    this.footprint = this.valueEnd - addr;
  }

  static create(arena: Arena, p: MapParams): RingbufMap {
    const n = p.maxEntries;
    if (p.keySize !== 0 || p.valueSize !== 0 || n === 0 || n % PAGE_SIZE !== 0 || (n & (n - 1)) !== 0) {
      throw new MapCreateError(p.name, 'ringbuf needs key_size 0, value_size 0 and max_entries a power-of-2 multiple of 4096');
    }
    const addr = arena.alloc(MAP_HEADER_SIZE + 2 * n, `map '${p.name}'`);
    writeHeader(arena, addr, p, 1, 0, addr + MAP_HEADER_SIZE);
    arena.u32[(addr + RingbufHdr.MASK) >>> 2] = n - 1;
    return new RingbufMap(arena, p.name, addr);
  }

  static open(arena: Arena, name: string, addr: number): RingbufMap {
    return new RingbufMap(arena, name, addr);
  }

  private pos(field: number): number { return Atomics.load(this.arena.u32, (this.addr + field) >>> 2); }

  /** bpf_ringbuf_reserve: the sample's address, 0 when it does not fit. */
  reserve(size: number): number {
    const len = (size + RINGBUF_HDR_SZ + 7) & ~7;
    if (size > this.mask + 1 - RINGBUF_HDR_SZ) return 0;
    const u32 = this.arena.u32;
    const lock = (this.addr + RingbufHdr.LOCK) >>> 2;
    while (Atomics.compareExchange(u32, lock, 0, 1) !== 0) { /* producers serialise on the reservation only */ }
    try {
      const prod = this.pos(RingbufHdr.PRODUCER_POS);
      if (((prod + len - this.pos(RingbufHdr.CONSUMER_POS)) >>> 0) > this.mask) return 0;
      const rec = this.valueStart + (prod & this.mask);
      u32[rec >>> 2] = (size | RINGBUF_BUSY_BIT) >>> 0;
      u32[(rec + 4) >>> 2] = 0;
      Atomics.store(u32, (this.addr + RingbufHdr.PRODUCER_POS) >>> 2, (prod + len) >>> 0);
      return rec + RINGBUF_HDR_SZ;
    } finally {
      Atomics.store(u32, lock, 0);
    }
  }

  /** bpf_ringbuf_submit / discard: clear BUSY (and set DISCARD); returns the sample when submitted. */
  commit(sample: number, discard: boolean): Uint8Array | undefined {
    const hdr = (sample - RINGBUF_HDR_SZ) >>> 2;
    const u32 = this.arena.u32;
    const len = u32[hdr]! & ~(RINGBUF_BUSY_BIT | RINGBUF_DISCARD_BIT);
    Atomics.store(u32, hdr, discard ? (len | RINGBUF_DISCARD_BIT) >>> 0 : len);
    return discard ? undefined : this.arena.u8.slice(sample, sample + len);
  }

  /** Is `addr` the sample of a record reserved and not yet committed? */
  isReserved(sample: number): boolean {
    if (sample < this.valueStart + RINGBUF_HDR_SZ || sample >= this.valueEnd) return false;
    return (this.arena.u32[(sample - RINGBUF_HDR_SZ) >>> 2]! & RINGBUF_BUSY_BIT) !== 0;
  }

  /** bpf_ringbuf_query: BPF_RB_AVAIL_DATA 0, BPF_RB_RING_SIZE 1, BPF_RB_CONS_POS 2, BPF_RB_PROD_POS 3. */
  query(flag: number): number {
    const cons = this.pos(RingbufHdr.CONSUMER_POS);
    const prod = this.pos(RingbufHdr.PRODUCER_POS);
    switch (flag) {
      case 0: return (prod - cons) >>> 0;
      case 1: return this.mask + 1;
      case 2: return cons;
      case 3: return prod;
      default: return 0;
    }
  }

  lookup(): number { return 0; }
  update(): number { return -Errno.EINVAL; }
  delete(): number { return -Errno.EINVAL; }
  read(): Uint8Array[] | undefined { return undefined; }
  write(): number { return -Errno.EINVAL; }
  keys(): Uint8Array[] { return []; }
  containsValue(addr: number, size: number): boolean {
    return addr >= this.valueStart && addr + size <= this.valueEnd;
  }
}
