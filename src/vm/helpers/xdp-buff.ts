/**
 * Helpers that move or read the packet (net/core/filter.c): bpf_xdp_adjust_head (44), bpf_xdp_adjust_meta
 * (54), bpf_xdp_adjust_tail (65), bpf_xdp_get_buff_len (188), bpf_xdp_load_bytes (189),
 * bpf_xdp_store_bytes (190). They work on the frame descriptor (arena-layout.ts Desc): data, data_end,
 * data_meta, the slot (data_hard_start) and, for a multi-buffer frame, the fragment table below.
 *
 * Fragment table (at Desc.FRAGS_ADDR; the kernel's skb_shared_info frags of an xdp_buff):
 * ```
 *  +0  u32 nr_frags
 *  +4  frag[0] { u32 address, u32 size }     each fragment is one FRAG_SIZE page, data from offset 0
 *  +12 frag[1] ...                            up to MAX_FRAGS
 * ```
 * Desc.FRAGS_LEN holds the fragments' total size (sinfo->xdp_frags_size); 0 = a linear frame.
 */
import type { Arena } from '../arena.js';
import { Desc, FRAME_SLOT_SIZE, TAILROOM } from '../arena-layout.js';
import type { HelperCall, HelperImpl } from '../exec-types.js';
import { Errno } from '../maps/errno.js';
import { type HelperEnv, argS32, argU32, retS32 } from './helper-env.js';

export const FragTable = { NR_FRAGS: 0, FRAGS: 4, FRAG_ADDR: 0, FRAG_SIZE: 4, ENTRY: 8 } as const;
/** Kernel MAX_SKB_FRAGS (default config). */
export const MAX_FRAGS = 17;
export const FRAG_SIZE = 4096;
export const FRAG_TABLE_SIZE = FragTable.FRAGS + MAX_FRAGS * FragTable.ENTRY;
/** sizeof(struct xdp_frame) on 64-bit 6.x kernels: adjust_head/meta keep this much headroom free. */
export const XDP_FRAME_SIZE = 40;
export const ETH_HLEN = 14;
/** Kernel xdp_metalen_invalid: meta data is a multiple of 4 and at most 32 bytes. */
const META_MAX = 32;

/** A live view of one frame's xdp_buff fields in its descriptor. */
export class XdpBuff {
  constructor(private readonly arena: Arena, readonly desc: number) {}
  private get u32(): Uint32Array { return this.arena.u32; }
  private field(off: number): number { return this.u32[(this.desc + off) >>> 2]!; }
  private setField(off: number, v: number): void { this.u32[(this.desc + off) >>> 2] = v >>> 0; }
  get data(): number { return this.field(Desc.DATA); }
  set data(v: number) { this.setField(Desc.DATA, v); }
  get dataEnd(): number { return this.field(Desc.DATA_END); }
  set dataEnd(v: number) { this.setField(Desc.DATA_END, v); }
  get dataMeta(): number { return this.field(Desc.DATA_META); }
  set dataMeta(v: number) { this.setField(Desc.DATA_META, v); }
  get hardStart(): number { return this.field(Desc.SLOT); }
  /** xdp_data_hard_end: the slot end minus the skb_shared_info tailroom. */
  get hardEnd(): number { return this.hardStart + FRAME_SLOT_SIZE - TAILROOM; }
  get fragsLen(): number { return this.field(Desc.FRAGS_LEN); }
  get fragTable(): number { return this.field(Desc.FRAGS_ADDR); }
  get nrFrags(): number { const t = this.fragTable; return t === 0 ? 0 : this.u32[(t + FragTable.NR_FRAGS) >>> 2]!; }
  frag(i: number): { addr: number; size: number } {
    const e = this.fragTable + FragTable.FRAGS + i * FragTable.ENTRY;
    return { addr: this.u32[(e + FragTable.FRAG_ADDR) >>> 2]!, size: this.u32[(e + FragTable.FRAG_SIZE) >>> 2]! };
  }
  setFragSize(i: number, size: number): void {
    this.u32[(this.fragTable + FragTable.FRAGS + i * FragTable.ENTRY + FragTable.FRAG_SIZE) >>> 2] = size;
  }
  setNrFrags(n: number): void { this.u32[(this.fragTable + FragTable.NR_FRAGS) >>> 2] = n; }
  setFragsLen(n: number): void { this.setField(Desc.FRAGS_LEN, n); }
  /** xdp_get_buff_len: linear part plus fragments. */
  get buffLen(): number { return this.dataEnd - this.data + this.fragsLen; }

  /** Calls `f(packetAddress, position, n)` for each contiguous piece of [offset, offset + len). */
  private spans(offset: number, len: number, f: (pkt: number, pos: number, n: number) => void): void {
    let pos = 0;
    const linear = this.dataEnd - this.data;
    if (offset < linear) {
      const n = Math.min(len, linear - offset);
      f(this.data + offset, pos, n);
      pos += n;
      offset = 0;
    } else {
      offset -= linear;
    }
    for (let i = 0; i < this.nrFrags && pos < len; i++) {
      const fr = this.frag(i);
      if (offset >= fr.size) { offset -= fr.size; continue; }
      const n = Math.min(len - pos, fr.size - offset);
      f(fr.addr + offset, pos, n);
      pos += n;
      offset = 0;
    }
  }

  /**
   * Copy between the packet (offset from data, across the linear part and the fragments) and `buf`
   * (kernel bpf_xdp_copy_buf). The caller checked offset + len <= buffLen.
   */
  copy(offset: number, buf: number, len: number, toPacket: boolean): void {
    const u8 = this.arena.u8;
    this.spans(offset, len, (pkt, pos, n) => {
      if (toPacket) u8.copyWithin(pkt, buf + pos, buf + pos + n); else u8.copyWithin(buf + pos, pkt, pkt + n);
    });
  }

  /** A copy of packet bytes [offset, offset + len). */
  slice(offset: number, len: number): Uint8Array {
    const u8 = this.arena.u8;
    const out = new Uint8Array(len);
    this.spans(offset, len, (pkt, pos, n) => out.set(u8.subarray(pkt, pkt + n), pos));
    return out;
  }
}

export function xdpBuffHelpers(env: HelperEnv): ReadonlyMap<number, HelperImpl> {
  const buff = (c: HelperCall): XdpBuff => new XdpBuff(env.arena, c.ctx);

  const adjustHead = (c: HelperCall): void => {
    const x = buff(c);
    const offset = argS32(c, 2);
    const metalen = x.data - x.dataMeta;
    const dataStart = x.hardStart + XDP_FRAME_SIZE + metalen;
    const data = x.data + offset;
    if (data < dataStart || data > x.dataEnd - ETH_HLEN) return retS32(c, -Errno.EINVAL);
    if (metalen) env.arena.u8.copyWithin(x.dataMeta + offset, x.dataMeta, x.dataMeta + metalen);
    x.dataMeta = x.dataMeta + offset;
    x.data = data;
    retS32(c, 0);
  };

  const adjustMeta = (c: HelperCall): void => {
    const x = buff(c);
    const offset = argS32(c, 2);
    const meta = x.dataMeta + offset;
    const metalen = x.data - meta;
    if (meta < x.hardStart + XDP_FRAME_SIZE || meta > x.data) return retS32(c, -Errno.EINVAL);
    if ((metalen & 3) !== 0 || metalen > META_MAX) return retS32(c, -Errno.EACCES);
    x.dataMeta = meta;
    retS32(c, 0);
  };

  const adjustTail = (c: HelperCall): void => {
    const x = buff(c);
    const offset = argS32(c, 2);
    if (x.nrFrags > 0) return retS32(c, offset < 0 ? fragsShrink(x, -offset) : fragsGrow(x, offset));
    const dataEnd = x.dataEnd + offset;
    if (dataEnd > x.hardEnd || dataEnd < x.data + ETH_HLEN) return retS32(c, -Errno.EINVAL);
    // Kernel: grown bytes are cleared, they may hold stale memory.
    if (offset > 0) env.arena.u8.fill(0, x.dataEnd, dataEnd);
    x.dataEnd = dataEnd;
    retS32(c, 0);
  };

  /** bpf_xdp_frags_increase_tail: the last fragment grows into its page (rxq frag_size = 4096 in test_run). */
  const fragsGrow = (x: XdpBuff, offset: number): number => {
    const last = x.nrFrags - 1;
    const f = x.frag(last);
    if (offset > FRAG_SIZE - f.size) return -Errno.EINVAL;
    env.arena.u8.fill(0, f.addr + f.size, f.addr + f.size + offset);
    x.setFragSize(last, f.size + offset);
    x.setFragsLen(x.fragsLen + offset);
    return 0;
  };

  /** bpf_xdp_frags_shrink_tail: fragments shrink from the last; emptied ones are released. */
  const fragsShrink = (x: XdpBuff, offset: number): number => {
    if (offset > x.buffLen - ETH_HLEN) return -Errno.EINVAL;
    let freed = 0;
    let lenFree = 0;
    for (let i = x.nrFrags - 1; i >= 0 && offset > 0; i--) {
      const f = x.frag(i);
      const shrink = Math.min(offset, f.size);
      lenFree += shrink;
      offset -= shrink;
      if (shrink === f.size) {
        freed++;
      } else {
        x.setFragSize(i, f.size - shrink);
        break;
      }
    }
    x.setNrFrags(x.nrFrags - freed);
    x.setFragsLen(x.fragsLen - lenFree);
    if (x.nrFrags === 0) x.dataEnd = x.dataEnd - offset;
    return 0;
  };

  /** bpf_xdp_pointer's checks, shared by load and store. */
  const bytesCheck = (x: XdpBuff, offset: number, len: number): number => {
    if (offset > 0xffff || len > 0xffff) return -Errno.EFAULT;
    if (offset + len > x.buffLen) return -Errno.EINVAL;
    return 0;
  };

  const loadStore = (toPacket: boolean) => (c: HelperCall): void => {
    const x = buff(c);
    const offset = argU32(c, 2);
    const buf = argU32(c, 3);
    const len = argU32(c, 4);
    env.checkMem(c, buf, len, !toPacket);
    const err = bytesCheck(x, offset, len);
    if (err) return retS32(c, err);
    x.copy(offset, buf, len, toPacket);
    retS32(c, 0);
  };

  return new Map<number, HelperImpl>([
    [44, adjustHead],
    [54, adjustMeta],
    [65, adjustTail],
    [188, (c) => retS32(c, buff(c).buffLen)],
    [189, loadStore(false)],
    [190, loadStore(true)],
  ]);
}
