/**
 * Writes frames as a classic libpcap file (microsecond timestamps, LINKTYPE_ETHERNET), the input format of
 * the kernel oracle, for callers holding frames rather than a capture file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PCAP_MAGIC_US = 0xa1b2c3d4;
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 262144;

export function encodeClassicPcap(frames: readonly Uint8Array[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(PCAP_MAGIC_US, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(SNAPLEN, 16);
  header.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  const parts: Buffer[] = [header];
  frames.forEach((frame, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(i, 0); // one frame per second: timestamps only need to be ordered
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
  });
  return Buffer.concat(parts);
}

/** Runs `use` with a temporary pcap of `frames`, removed afterwards. */
export async function withTemporaryPcap<T>(frames: readonly Uint8Array[], use: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'xdpjit-oracle-'));
  try {
    const path = join(dir, 'frames.pcap');
    await writeFile(path, encodeClassicPcap(frames));
    return await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Thrown for a capture that is not a classic libpcap file. */
export class PcapFormatError extends Error {
  constructor(
    message: string,
    readonly byteOffset: number,
  ) {
    super(`${message} (at byte ${byteOffset})`);
    this.name = 'PcapFormatError';
  }
}

export interface ClassicPcap {
  /** LINKTYPE_* of the capture (1 = Ethernet). */
  readonly linkType: number;
  /** Each record's captured bytes. */
  readonly frames: readonly Uint8Array[];
}

/** The records of a classic libpcap file (µs or ns timestamps, either byte order), captured bytes only. */
export function decodeClassicPcap(file: Uint8Array): ClassicPcap {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.byteLength < 24) throw new PcapFormatError('shorter than a pcap header', 0);
  const magic = view.getUint32(0, true);
  let little: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) little = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) little = false;
  else throw new PcapFormatError(`magic ${magic.toString(16)} is not a classic pcap magic`, 0);
  const frames: Uint8Array[] = [];
  for (let off = 24; off < file.byteLength; ) {
    if (off + 16 > file.byteLength) throw new PcapFormatError('truncated record header', off);
    const incl = view.getUint32(off + 8, little);
    if (off + 16 + incl > file.byteLength) throw new PcapFormatError(`record of ${incl} bytes runs past the end`, off);
    frames.push(file.subarray(off + 16, off + 16 + incl));
    off += 16 + incl;
  }
  // The low 28 bits are the link type; the top bits carry FCS information (pcap-linktype(7)).
  return { linkType: view.getUint32(20, little) & 0x0fffffff, frames };
}
