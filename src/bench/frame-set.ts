/**
 * A capture's frames placed in the arena once, for `xdpjit bench` (design.md §5): one 4 KiB slot per frame
 * laid out as BPF_PROG_TEST_RUN's xdp_buff (net/bpf/test_run.c bpf_prog_test_run_xdp: zeroed page,
 * XDP_PACKET_HEADROOM, at most MAX_LINEAR linear bytes, the rest in page-sized fragments), and the frames'
 * descriptors contiguous, DESC_SIZE apart, so that the JIT's run_batch takes the whole set in one call.
 *
 * Passes after the first run on the frames as the previous pass left them (adjust_head/tail moves, rewrites),
 * as the kernel's test_run `repeat` does with its one xdp_buff: nothing is re-copied between passes.
 */
import { DESC_SIZE, Desc, FRAME_SLOT_SIZE, MAX_LINEAR, XDP_PACKET_HEADROOM } from '../vm/arena-layout.js';
import type { Arena } from '../vm/arena.js';
import { FRAG_SIZE, FRAG_TABLE_SIZE, FragTable, MAX_FRAGS } from '../vm/helpers/xdp-buff.js';
import { FrameTooBigError } from '../vm/runtime/frame-runner.js';

export interface FrameSet {
  /** Address of the first descriptor; frame i's is `desc + i * DESC_SIZE`. */
  readonly desc: number;
  readonly count: number;
}

export interface PlaceOptions {
  /** xdp_md.ingress_ifindex (test_run's default in the oracle is 1 = lo). */
  readonly ifindex?: number;
  readonly rxQueue?: number;
}

/** Copies every frame into its own slot (fragments for bytes past MAX_LINEAR) and writes its descriptor. */
export function placeFrames(arena: Arena, frames: readonly Uint8Array[], opts: PlaceOptions = {}): FrameSet {
  for (const f of frames) {
    if (Math.ceil(Math.max(0, f.length - MAX_LINEAR) / FRAG_SIZE) > MAX_FRAGS) throw new FrameTooBigError(f.length);
  }
  const desc = arena.alloc(Math.max(1, frames.length) * DESC_SIZE, 'bench descriptors');
  frames.forEach((frame, i) => {
    const slot = arena.alloc(FRAME_SLOT_SIZE, 'bench frame slot');
    const linear = Math.min(frame.length, MAX_LINEAR);
    const rest = frame.subarray(linear);
    // test_run's page is zeroed: headroom and tailroom read as zeros (freed arena blocks may not be).
    arena.u8.fill(0, slot, slot + FRAME_SLOT_SIZE);
    const data = slot + XDP_PACKET_HEADROOM;
    arena.u8.set(frame.subarray(0, linear), data);
    const fragTable = rest.length > 0 ? placeFragments(arena, rest) : 0;
    const d = desc + i * DESC_SIZE;
    const w = (off: number, v: number): void => { arena.u32[(d + off) >>> 2] = v >>> 0; };
    arena.u8.fill(0, d, d + DESC_SIZE);
    w(Desc.DATA, data);
    w(Desc.DATA_END, data + linear);
    w(Desc.DATA_META, data);
    w(Desc.INGRESS_IFINDEX, opts.ifindex ?? 1);
    w(Desc.RX_QUEUE_INDEX, opts.rxQueue ?? 0);
    w(Desc.SLOT, slot);
    w(Desc.FRAGS_LEN, rest.length);
    w(Desc.FRAGS_ADDR, fragTable);
  });
  return Object.freeze({ desc, count: frames.length });
}

/** The fragment table (xdp-buff.ts FragTable) and one zeroed page per FRAG_SIZE bytes of `rest`. */
function placeFragments(arena: Arena, rest: Uint8Array): number {
  const n = Math.ceil(rest.length / FRAG_SIZE);
  const table = arena.alloc(FRAG_TABLE_SIZE, 'bench fragment table');
  arena.u8.fill(0, table, table + FRAG_TABLE_SIZE);
  arena.u32[(table + FragTable.NR_FRAGS) >>> 2] = n;
  for (let i = 0; i < n; i++) {
    const chunk = rest.subarray(i * FRAG_SIZE, (i + 1) * FRAG_SIZE);
    const page = arena.alloc(FRAG_SIZE, 'bench fragment page');
    arena.u8.fill(0, page, page + FRAG_SIZE);
    arena.u8.set(chunk, page);
    const e = table + FragTable.FRAGS + i * FragTable.ENTRY;
    arena.u32[(e + FragTable.FRAG_ADDR) >>> 2] = page;
    arena.u32[(e + FragTable.FRAG_SIZE) >>> 2] = chunk.length;
  }
  return table;
}
