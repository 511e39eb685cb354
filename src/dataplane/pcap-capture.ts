/**
 * Recording what an interface delivers (PASS) or transmits (TX, redirects to it) into a classic pcap file,
 * with nanosecond timestamps. Records are buffered and written in one syscall per ~64 KiB (and on close), so
 * capturing costs the delivery path a copy, not a write per frame.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { PcapWriter } from './capture/index.js';
import type { FrameSink } from './interfaces.js';

const FLUSH_BYTES = 64 * 1024;

export class PcapFileCapture implements FrameSink {
  private fd: number | undefined;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private readonly writer: PcapWriter;
  frames = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
    this.writer = new PcapWriter({ write: (chunk) => this.buffer(chunk) }, { precision: 'ns' });
  }

  private buffer(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered >= FLUSH_BYTES) this.flush();
  }

  write(frame: Uint8Array, tsNs: bigint): void {
    if (this.fd === undefined) return;
    this.writer.write({ data: frame, tsNs });
    this.frames++;
  }

  flush(): void {
    if (this.fd === undefined || this.buffered === 0) return;
    const all = Buffer.concat(this.chunks, this.buffered);
    let off = 0;
    while (off < all.length) off += writeSync(this.fd, all, off, all.length - off);
    this.chunks = [];
    this.buffered = 0;
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
