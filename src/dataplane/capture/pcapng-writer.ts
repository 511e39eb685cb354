/**
 * pcapng writer (either byte order): one section, its interfaces, then packets as Enhanced Packet Blocks
 * (or Simple Packet Blocks where asked), optionally closing with Interface Statistics Blocks. Layout in
 * ./pcapng-format.ts. Used by the sample-capture generator and the reader's tests.
 */
import type { ByteOrder } from './pcap-format.js';
import { BYTE_ORDER_MAGIC, BlockType, DEFAULT_TSRESOL, OptionCode, pad4 } from './pcapng-format.js';

export interface PcapngInterface {
  readonly linkType: number;
  readonly snaplen: number;
  readonly name?: string;
  /** if_tsresol byte; omitted from the block when it is the default (6, microseconds). */
  readonly tsresol?: number;
}

export type PcapngPacket =
  | { readonly kind: 'epb'; readonly iface: number; readonly data: Uint8Array; readonly wireLen?: number; readonly tsNs: bigint }
  /** Interface 0, no timestamp; the captured length is min(wireLen, snaplen of interface 0). */
  | { readonly kind: 'spb'; readonly data: Uint8Array; readonly wireLen?: number };

export interface PcapngSection {
  readonly interfaces: readonly PcapngInterface[];
  readonly packets: readonly PcapngPacket[];
  /** Append one Interface Statistics Block per interface (ifrecv = packets written to it). */
  readonly statistics?: boolean;
  readonly comment?: string;
}

const encoder = new TextEncoder();

class BlockBuilder {
  private readonly parts: Uint8Array[] = [];
  constructor(private readonly le: boolean) {}

  u8s(bytes: Uint8Array): this {
    this.parts.push(bytes.slice());
    const pad = pad4(bytes.length) - bytes.length;
    if (pad) this.parts.push(new Uint8Array(pad));
    return this;
  }
  u16(v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, this.le);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, this.le);
    this.parts.push(b);
    return this;
  }
  u64(v: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), this.le);
    this.parts.push(b);
    return this;
  }
  option(code: number, value: Uint8Array): this {
    return this.u16(code).u16(value.length).u8s(value);
  }
  endOptions(): this {
    return this.u16(OptionCode.END).u16(0);
  }
  /** Wraps the body in type / total length / body / total length. */
  block(type: number): Uint8Array {
    const bodyLen = this.parts.reduce((n, p) => n + p.length, 0);
    const total = bodyLen + 12;
    const out = new Uint8Array(total);
    const view = new DataView(out.buffer);
    view.setUint32(0, type, this.le);
    view.setUint32(4, total, this.le);
    let off = 8;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    view.setUint32(total - 4, total, this.le);
    return out;
  }
}

/** ns → timestamp units of an interface with the given if_tsresol (decimal or binary). */
function toUnits(tsNs: bigint, tsresol: number): bigint {
  const v = tsresol & 0x7f;
  if (tsresol & 0x80) return (tsNs << BigInt(v)) / 1_000_000_000n;
  return v <= 9 ? tsNs / 10n ** BigInt(9 - v) : tsNs * 10n ** BigInt(v - 9);
}

export function encodePcapng(sections: readonly PcapngSection[], byteOrder: ByteOrder = 'le'): Uint8Array {
  const le = byteOrder === 'le';
  const blocks: Uint8Array[] = [];
  for (const section of sections) {
    const shb = new BlockBuilder(le).u32(BYTE_ORDER_MAGIC).u16(1).u16(0).u64(-1n);
    if (section.comment !== undefined) shb.option(OptionCode.COMMENT, encoder.encode(section.comment)).endOptions();
    blocks.push(shb.block(BlockType.SHB));
    for (const iface of section.interfaces) {
      const idb = new BlockBuilder(le).u16(iface.linkType).u16(0).u32(iface.snaplen);
      const hasOptions = iface.name !== undefined || (iface.tsresol ?? DEFAULT_TSRESOL) !== DEFAULT_TSRESOL;
      if (iface.name !== undefined) idb.option(OptionCode.IF_NAME, encoder.encode(iface.name));
      if (iface.tsresol !== undefined && iface.tsresol !== DEFAULT_TSRESOL) idb.option(OptionCode.IF_TSRESOL, Uint8Array.of(iface.tsresol));
      if (hasOptions) idb.endOptions();
      blocks.push(idb.block(BlockType.IDB));
    }
    const received = section.interfaces.map(() => 0);
    let lastTs = 0n;
    for (const p of section.packets) {
      const wireLen = Math.max(p.wireLen ?? p.data.length, p.data.length);
      if (p.kind === 'spb') {
        const snaplen = section.interfaces[0]?.snaplen ?? 0;
        if (snaplen > 0 && p.data.length !== Math.min(wireLen, snaplen)) {
          throw new RangeError('a simple packet block cannot record a captured length other than min(wire length, snaplen)');
        }
        blocks.push(new BlockBuilder(le).u32(wireLen).u8s(p.data).block(BlockType.SPB));
        received[0] = (received[0] ?? 0) + 1;
        continue;
      }
      const iface = section.interfaces[p.iface];
      if (!iface) throw new RangeError(`packet for interface ${p.iface}, which the section does not have`);
      const units = toUnits(p.tsNs, iface.tsresol ?? DEFAULT_TSRESOL);
      blocks.push(new BlockBuilder(le)
        .u32(p.iface).u32(Number(units >> 32n)).u32(Number(units & 0xffffffffn))
        .u32(p.data.length).u32(wireLen).u8s(p.data)
        .block(BlockType.EPB));
      received[p.iface] = (received[p.iface] ?? 0) + 1;
      if (p.tsNs > lastTs) lastTs = p.tsNs;
    }
    if (section.statistics) {
      section.interfaces.forEach((iface, i) => {
        const units = toUnits(lastTs, iface.tsresol ?? DEFAULT_TSRESOL);
        const recv = new Uint8Array(8);
        new DataView(recv.buffer).setBigUint64(0, BigInt(received[i] ?? 0), le);
        // ISB option 4 = isb_ifrecv.
        blocks.push(new BlockBuilder(le)
          .u32(i).u32(Number(units >> 32n)).u32(Number(units & 0xffffffffn))
          .option(4, recv).endOptions()
          .block(BlockType.ISB));
      });
    }
  }
  const total = blocks.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const b of blocks) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}
