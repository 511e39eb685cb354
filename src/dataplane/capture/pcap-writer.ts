/**
 * Classic pcap writer (µs or ns magic, either byte order; layout in ./pcap-format.ts), for `--out FILE.pcap`
 * and the sample-capture generator. Writes the file header at construction, then one record per frame.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { LinkType } from './capture-types.js';
import {
  PCAP_FILE_HEADER_LEN, PCAP_MAGIC_NS, PCAP_MAGIC_US, PCAP_MAX_RECORD_LEN, PCAP_RECORD_HEADER_LEN,
  type ByteOrder, type PcapPrecision,
} from './pcap-format.js';

export interface PcapWriterOptions {
  readonly precision?: PcapPrecision;
  readonly byteOrder?: ByteOrder;
  readonly linkType?: number;
  readonly snaplen?: number;
}

/** Where encoded bytes go: a file, an array of chunks, a stream. */
export interface PcapSink {
  write(chunk: Uint8Array): void;
}

export interface FrameToWrite {
  readonly data: Uint8Array;
  /** Defaults to data.length. */
  readonly wireLen?: number;
  readonly tsNs: bigint;
}

export class PcapWriter {
  readonly precision: PcapPrecision;
  private readonly le: boolean;
  private readonly snaplen: number;

  constructor(private readonly sink: PcapSink, options: PcapWriterOptions = {}) {
    this.precision = options.precision ?? 'us';
    this.le = (options.byteOrder ?? 'le') === 'le';
    this.snaplen = options.snaplen ?? PCAP_MAX_RECORD_LEN;
    const header = new Uint8Array(PCAP_FILE_HEADER_LEN);
    const view = new DataView(header.buffer);
    view.setUint32(0, this.precision === 'us' ? PCAP_MAGIC_US : PCAP_MAGIC_NS, this.le);
    view.setUint16(4, 2, this.le);
    view.setUint16(6, 4, this.le);
    view.setUint32(16, this.snaplen, this.le);
    view.setUint32(20, options.linkType ?? LinkType.ETHERNET, this.le);
    sink.write(header);
  }

  /** Appends one record; bytes beyond the snaplen are cut (the wire length keeps the full size). */
  write(frame: FrameToWrite): void {
    const capLen = Math.min(frame.data.length, this.snaplen);
    const wireLen = Math.max(frame.wireLen ?? frame.data.length, capLen);
    const record = new Uint8Array(PCAP_RECORD_HEADER_LEN + capLen);
    const view = new DataView(record.buffer);
    const ts = frame.tsNs < 0n ? 0n : frame.tsNs;
    const sec = ts / 1_000_000_000n;
    const subNs = ts % 1_000_000_000n;
    view.setUint32(0, Number(sec & 0xffffffffn), this.le);
    view.setUint32(4, Number(this.precision === 'us' ? subNs / 1000n : subNs), this.le);
    view.setUint32(8, capLen, this.le);
    view.setUint32(12, wireLen, this.le);
    record.set(frame.data.subarray(0, capLen), PCAP_RECORD_HEADER_LEN);
    this.sink.write(record);
  }
}

/** Collects everything written into one buffer. */
export class MemorySink implements PcapSink {
  private readonly chunks: Uint8Array[] = [];
  write(chunk: Uint8Array): void {
    this.chunks.push(chunk.slice());
  }
  bytes(): Uint8Array {
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

/** A file opened for writing; synchronous so records land in order without buffering surprises. */
export class FileSink implements PcapSink {
  private fd: number | undefined;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  write(chunk: Uint8Array): void {
    if (this.fd === undefined) throw new Error('write to a closed capture file');
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export function encodePcap(frames: Iterable<FrameToWrite>, options: PcapWriterOptions = {}): Uint8Array {
  const sink = new MemorySink();
  const writer = new PcapWriter(sink, options);
  for (const f of frames) writer.write(f);
  return sink.bytes();
}
