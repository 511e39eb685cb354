/**
 * Multi-buffer frames (design.md §2, as the kernel's test_run builds them): what does not fit a slot's linear
 * part goes into FRAG_SIZE pages listed in a fragment table (src/vm/helpers/xdp-buff.ts); beyond MAX_FRAGS pages
 * the frame is cut. Both the batch buffers and the replay rings place frames this way.
 */
import { Desc, XDP_PACKET_HEADROOM } from '../vm/arena-layout.js';
import { FRAG_SIZE, FRAG_TABLE_SIZE, FragTable, MAX_FRAGS } from '../vm/helpers/xdp-buff.js';
import type { ArenaMemory } from './frame-processor.js';

/** The arena heap's allocate/free, as src/vm/arena.ts `Arena` offers them. */
export interface CaptureHeap {
  alloc(size: number, what: string): number;
  free(addr: number): void;
}

/** Where a received frame sits in a slot and who received it, as its descriptor says. */
export interface RxPlacement {
  readonly slot: number;
  /** Bytes of the frame in the slot's linear part. */
  readonly linear: number;
  /** Bytes of metadata right in front of the frame (data_meta = data - metaLen). */
  readonly metaLen?: number;
  readonly ingressIfindex: number;
  readonly rxQueueIndex?: number;
  readonly egressIfindex?: number;
}

/**
 * Describe a frame placed `XDP_PACKET_HEADROOM` bytes into its slot in the descriptor at u32 index `d`
 * (struct xdp_md's data / data_end / data_meta and ifindexes, and the slot it lives in); the other fields are
 * left as they are. Returns the arena address of the frame's first byte.
 */
export function describeRxFrame(u32: Uint32Array, d: number, p: RxPlacement): number {
  const data = p.slot + XDP_PACKET_HEADROOM;
  u32[d + (Desc.DATA >> 2)] = data;
  u32[d + (Desc.DATA_END >> 2)] = data + p.linear;
  u32[d + (Desc.DATA_META >> 2)] = data - (p.metaLen ?? 0);
  u32[d + (Desc.INGRESS_IFINDEX >> 2)] = p.ingressIfindex;
  u32[d + (Desc.RX_QUEUE_INDEX >> 2)] = p.rxQueueIndex ?? 0;
  u32[d + (Desc.EGRESS_IFINDEX >> 2)] = p.egressIfindex ?? 0;
  u32[d + (Desc.SLOT >> 2)] = p.slot;
  return data;
}

/**
 * Place `rest` (the bytes beyond the linear part) as fragments of the descriptor at u32 index `d`; every
 * allocation is appended to `allocs` for the caller to free. May grow the arena: views made before go stale.
 */
export function placeFrags(memory: ArenaMemory, heap: CaptureHeap, d: number, rest: Uint8Array, allocs: number[]): void {
  const nFrags = Math.min(MAX_FRAGS, Math.ceil(rest.length / FRAG_SIZE));
  const table = heap.alloc(FRAG_TABLE_SIZE, 'fragment table');
  allocs.push(table);
  const pages: number[] = [];
  for (let i = 0; i < nFrags; i++) pages.push(heap.alloc(FRAG_SIZE, 'fragment page'));
  allocs.push(...pages);
  // Views only after allocating: an allocation may grow the arena, and views of the old buffer stop short.
  const u8 = new Uint8Array(memory.buffer);
  const u32 = new Uint32Array(memory.buffer);
  u32[(table + FragTable.NR_FRAGS) >>> 2] = nFrags;
  let total = 0;
  for (let i = 0; i < nFrags; i++) {
    const chunk = rest.subarray(i * FRAG_SIZE, (i + 1) * FRAG_SIZE);
    const page = pages[i]!;
    u8.set(chunk, page);
    const e = table + FragTable.FRAGS + i * FragTable.ENTRY;
    u32[(e + FragTable.FRAG_ADDR) >>> 2] = page;
    u32[(e + FragTable.FRAG_SIZE) >>> 2] = chunk.length;
    total += chunk.length;
  }
  u32[d + (Desc.FRAGS_LEN >> 2)] = total;
  u32[d + (Desc.FRAGS_ADDR >> 2)] = table;
}

/** The frame as it leaves: [data, data_end) then every fragment (copied when there are fragments). */
export function outputFrame(memory: ArenaMemory, d: number): Uint8Array {
  const buf = memory.buffer;
  const u32 = new Uint32Array(buf);
  const start = u32[d + (Desc.DATA >> 2)]!, end = u32[d + (Desc.DATA_END >> 2)]!;
  const linear = new Uint8Array(buf, start, Math.max(0, end - start));
  const fragsLen = u32[d + (Desc.FRAGS_LEN >> 2)]!;
  const table = u32[d + (Desc.FRAGS_ADDR >> 2)]!;
  if (fragsLen === 0 || table === 0) return linear;
  const out = new Uint8Array(linear.length + fragsLen);
  out.set(linear);
  let p = linear.length;
  const nr = u32[(table + FragTable.NR_FRAGS) >>> 2]!;
  for (let i = 0; i < nr && p < out.length; i++) {
    const e = table + FragTable.FRAGS + i * FragTable.ENTRY;
    const page = u32[(e + FragTable.FRAG_ADDR) >>> 2]!, size = u32[(e + FragTable.FRAG_SIZE) >>> 2]!;
    out.set(new Uint8Array(buf, page, Math.min(size, out.length - p)), p);
    p += size;
  }
  return out;
}
