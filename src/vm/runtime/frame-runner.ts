/**
 * Runs frames through a prepared program on one CPU, as the kernel's BPF_PROG_TEST_RUN does for XDP
 * (net/bpf/test_run.c bpf_prog_test_run_xdp): the frame goes into a zeroed 4 KiB slot after 256 bytes of
 * headroom; up to MAX_LINEAR bytes are linear and the rest goes into page-sized fragments (multi-buffer);
 * data_meta starts equal to data; the output is [data_meta, data_end) followed by the fragments.
 * Frames under 14 bytes run too (the kernel refuses them; design.md §4b).
 */
import { createHash } from 'node:crypto';
import {
  DESC_SIZE, Desc, FRAME_SLOT_SIZE, MAX_LINEAR, REDIRECT_STATE, REDIRECT_STATE_BYTES, REDIRECT_TO_DESC, RedirectKind, RedirectState,
  XDP_PACKET_HEADROOM, cpuRegion,
} from '../arena-layout.js';
import { RuntimeFault } from '../exec-types.js';
import { FRAG_SIZE, FRAG_TABLE_SIZE, FragTable, MAX_FRAGS, XdpBuff } from '../helpers/xdp-buff.js';
import { XDP_ACTION_NAMES, XdpAction } from '../../ebpf/opcodes.js';
import type { PreparedXdp } from './engine.js';
import type { Runtime } from './runtime.js';

export type RedirectTarget = { readonly ifindex: number } | { readonly cpu: number } | { readonly xsk: number };

/** One frame's outcome: exactly the fields of a `--jsonl` line (design.md §5), in that order. */
export interface FrameRecord {
  readonly i: number;
  readonly action: string;
  readonly len: number;
  readonly sha1: string;
  readonly redirect?: RedirectTarget;
  readonly error?: string;
}

export interface FrameOutcome {
  readonly record: FrameRecord;
  /** The raw return value (u32). */
  readonly retval: number;
  readonly output: Uint8Array;
}

export interface FrameRunnerOptions {
  readonly cpu?: number;
  readonly ifindex?: number;
  readonly rxQueue?: number;
}

export class FrameTooBigError extends Error {
  constructor(readonly length: number) {
    super(`frame of ${length} bytes exceeds ${MAX_LINEAR} linear + ${MAX_FRAGS} fragments of ${FRAG_SIZE} bytes`);
    this.name = 'FrameTooBigError';
  }
}

export const actionName = (retval: number): string => XDP_ACTION_NAMES[retval] ?? `UNKNOWN(${retval})`;

export class FrameRunner {
  readonly cpu: number;
  private readonly ifindex: number;
  private readonly rxQueue: number;
  private readonly slot: number;
  private readonly desc: number;
  private fragTable = 0;
  /** End of the slot bytes the last frame may have written (its final data_end, or its original end). */
  private dirtyEnd = 0;
  private readonly pages: number[] = [];

  constructor(private readonly runtime: Runtime, private readonly prog: PreparedXdp, opts: FrameRunnerOptions = {}) {
    this.cpu = opts.cpu ?? 0;
    this.ifindex = opts.ifindex ?? 1;
    this.rxQueue = opts.rxQueue ?? 0;
    this.slot = runtime.arena.alloc(FRAME_SLOT_SIZE, 'frame slot');
    this.dirtyEnd = this.slot + FRAME_SLOT_SIZE;
    this.desc = runtime.arena.alloc(DESC_SIZE, 'frame descriptor');
  }

  /** Give the slot, descriptor and fragment pages back to the arena. */
  dispose(): void {
    const a = this.runtime.arena;
    for (const p of this.pages) a.free(p);
    if (this.fragTable) a.free(this.fragTable);
    a.free(this.desc);
    a.free(this.slot);
  }

  run(index: number, frame: Uint8Array, tsNs = 0n): FrameOutcome {
    if (Math.ceil(Math.max(0, frame.length - MAX_LINEAR) / FRAG_SIZE) > MAX_FRAGS) {
      // The kernel's test_run refuses it (-E2BIG); here it is that frame's error, and the run goes on.
      const error = new FrameTooBigError(frame.length).message;
      const record: FrameRecord = { i: index, action: actionName(XdpAction.ABORTED), len: frame.length, sha1: createHash('sha1').update(frame).digest('hex'), error };
      return { record, retval: XdpAction.ABORTED, output: frame };
    }
    this.place(frame);
    this.runtime.clock.enterFrame(tsNs);
    let retval: number = XdpAction.ABORTED;
    let error: string | undefined;
    try {
      retval = Number(BigInt.asUintN(32, this.prog.runFrame(this.desc, this.cpu)));
    } catch (e) {
      if (!(e instanceof RuntimeFault)) throw e;
      error = e.message;
    }
    const u32 = this.runtime.arena.u32;
    const d = this.desc >>> 2;
    u32[d + Desc.ACTION / 4] = retval;
    this.dirtyEnd = Math.min(this.slot + FRAME_SLOT_SIZE, Math.max(this.slot + XDP_PACKET_HEADROOM + Math.min(frame.length, MAX_LINEAR), u32[d + Desc.DATA_END / 4]!));
    const redirect = retval === XdpAction.REDIRECT && error === undefined ? this.redirectTarget() : undefined;
    const output = this.output();
    const record: FrameRecord = {
      i: index,
      action: actionName(retval),
      len: output.length,
      sha1: createHash('sha1').update(output).digest('hex'),
      ...(redirect ? { redirect } : {}),
      ...(error !== undefined ? { error } : {}),
    };
    return { record, retval, output };
  }

  private place(frame: Uint8Array): void {
    const linear = Math.min(frame.length, MAX_LINEAR);
    const rest = frame.length - linear;
    const nFrags = Math.ceil(rest / FRAG_SIZE);
    const arena = this.runtime.arena;
    const u8 = arena.u8;
    // test_run's buffer is zeroed (kzalloc): headroom and tailroom read as zeros. Only what the previous
    // frame may have touched is cleared: the headroom, and from this frame's end to where the last one ended
    // (filling a shared buffer costs about a nanosecond a byte).
    const data = this.slot + XDP_PACKET_HEADROOM;
    u8.fill(0, this.slot, data);
    if (this.dirtyEnd > data + linear) u8.fill(0, data + linear, this.dirtyEnd);
    u8.set(frame.subarray(0, linear), data);
    if (nFrags > 0) this.placeFrags(frame.subarray(linear), nFrags);
    const u32 = arena.u32;
    const w = (off: number, v: number): void => { u32[(this.desc + off) >>> 2] = v >>> 0; };
    w(Desc.DATA, data);
    w(Desc.DATA_END, data + linear);
    w(Desc.DATA_META, data);
    w(Desc.INGRESS_IFINDEX, this.ifindex);
    w(Desc.RX_QUEUE_INDEX, this.rxQueue);
    w(Desc.EGRESS_IFINDEX, 0);
    w(Desc.ACTION, 0);
    w(Desc.REDIRECT_KIND, RedirectKind.NONE);
    w(Desc.REDIRECT_TARGET, 0);
    w(Desc.REDIRECT_MAP, 0);
    w(Desc.REDIRECT_VALUE, 0);
    w(Desc.REDIRECT_FLAGS, 0);
    w(Desc.SLOT, this.slot);
    w(Desc.FRAGS_LEN, rest);
    w(Desc.FRAGS_ADDR, nFrags > 0 ? this.fragTable : 0);
    w(Desc.ERROR, 0);
    const rs = cpuRegion(this.cpu) + REDIRECT_STATE;
    arena.u8.fill(0, rs, rs + REDIRECT_STATE_BYTES);
  }

  private placeFrags(rest: Uint8Array, nFrags: number): void {
    const arena = this.runtime.arena;
    if (this.fragTable === 0) this.fragTable = arena.alloc(FRAG_TABLE_SIZE, 'fragment table');
    while (this.pages.length < nFrags) this.pages.push(arena.alloc(FRAG_SIZE, 'fragment page'));
    const u32 = arena.u32;
    const u8 = arena.u8;
    u32[(this.fragTable + FragTable.NR_FRAGS) >>> 2] = nFrags;
    for (let i = 0; i < nFrags; i++) {
      const chunk = rest.subarray(i * FRAG_SIZE, (i + 1) * FRAG_SIZE);
      const page = this.pages[i]!;
      u8.fill(0, page, page + FRAG_SIZE);
      u8.set(chunk, page);
      const e = this.fragTable + FragTable.FRAGS + i * FragTable.ENTRY;
      u32[(e + FragTable.FRAG_ADDR) >>> 2] = page;
      u32[(e + FragTable.FRAG_SIZE) >>> 2] = chunk.length;
    }
  }

  private redirectTarget(): RedirectTarget | undefined {
    const u32 = this.runtime.arena.u32;
    const rs = cpuRegion(this.cpu) + REDIRECT_STATE;
    const kind = u32[(rs + RedirectState.KIND) >>> 2]!;
    const target = u32[(rs + RedirectState.TARGET) >>> 2]!;
    for (const [from, to] of REDIRECT_TO_DESC) u32[(this.desc + to) >>> 2] = u32[(rs + from) >>> 2]!;
    switch (kind) {
      case RedirectKind.IFINDEX: return { ifindex: target };
      case RedirectKind.CPU: return { cpu: target };
      case RedirectKind.XSK: return { xsk: target };
      default: return undefined;
    }
  }

  /** [data_meta, data_end) then every fragment: what test_run copies out. */
  private output(): Uint8Array {
    const x = new XdpBuff(this.runtime.arena, this.desc);
    const u8 = this.runtime.arena.u8;
    const linear = u8.subarray(x.dataMeta, x.dataEnd);
    const out = new Uint8Array(linear.length + x.fragsLen);
    out.set(linear);
    let p = linear.length;
    for (let i = 0; i < x.nrFrags; i++) {
      const f = x.frag(i);
      out.set(u8.subarray(f.addr, f.addr + f.size), p);
      p += f.size;
    }
    return out;
  }
}
