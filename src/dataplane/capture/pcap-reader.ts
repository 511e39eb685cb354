/** Classic pcap (µs and ns magic, either byte order) → Capture. Layout: ./pcap-format.ts. */
import { CaptureFormatError } from './capture-errors.js';
import type { Capture, CapturedFrame } from './capture-types.js';
import {
  PCAP_FILE_HEADER_LEN, PCAP_LINKTYPE_MASK, PCAP_MAGIC_NS, PCAP_MAGIC_US, PCAP_MAX_RECORD_LEN,
  PCAP_RECORD_HEADER_LEN, type PcapPrecision,
} from './pcap-format.js';

export interface PcapFileHeader {
  readonly littleEndian: boolean;
  readonly precision: PcapPrecision;
  readonly snaplen: number;
  readonly linkType: number;
}

export interface PcapMagic {
  readonly littleEndian: boolean;
  readonly precision: PcapPrecision;
}

/** How the first four bytes read as a classic pcap magic, or undefined when they are not one. */
export function parsePcapMagic(bytes: Uint8Array): PcapMagic | undefined {
  if (bytes.length < 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  const le = view.getUint32(0, true);
  const be = view.getUint32(0, false);
  if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) return { littleEndian: true, precision: le === PCAP_MAGIC_US ? 'us' : 'ns' };
  if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) return { littleEndian: false, precision: be === PCAP_MAGIC_US ? 'us' : 'ns' };
  return undefined;
}

/** Reads the 24-byte file header, or undefined when the magic is not a classic pcap magic. */
export function parsePcapFileHeader(bytes: Uint8Array): PcapFileHeader | undefined {
  const magic = parsePcapMagic(bytes);
  if (!magic) return undefined;
  const { littleEndian, precision } = magic;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < PCAP_FILE_HEADER_LEN) {
    throw new CaptureFormatError(`pcap file header truncated: ${bytes.length} of ${PCAP_FILE_HEADER_LEN} bytes`, bytes.length);
  }
  const major = view.getUint16(4, littleEndian);
  if (major !== 2) throw new CaptureFormatError(`unsupported pcap version ${major}.${view.getUint16(6, littleEndian)}`, 4);
  return {
    littleEndian,
    precision,
    snaplen: view.getUint32(16, littleEndian),
    linkType: view.getUint32(20, littleEndian) & PCAP_LINKTYPE_MASK,
  };
}

/** Checks one record header's lengths as libpcap does (sf-pcap.c pcap_next_packet), returning the error text. */
export function recordLengthProblem(inclLen: number, origLen: number): string | undefined {
  if (inclLen > PCAP_MAX_RECORD_LEN) return `record captured length ${inclLen} exceeds ${PCAP_MAX_RECORD_LEN}`;
  if (inclLen > origLen) return `record captured length ${inclLen} exceeds its wire length ${origLen}`;
  return undefined;
}

export function pcapTimestampNs(sec: number, frac: number, precision: PcapPrecision): bigint {
  return BigInt(sec) * 1_000_000_000n + BigInt(frac) * (precision === 'us' ? 1000n : 1n);
}

export function readPcap(bytes: Uint8Array): Capture {
  const header = parsePcapFileHeader(bytes);
  if (!header) throw new CaptureFormatError('not a classic pcap file (bad magic)', 0);
  const { littleEndian, precision } = header;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: CapturedFrame[] = [];
  let off = PCAP_FILE_HEADER_LEN;
  while (off < bytes.length) {
    if (bytes.length - off < PCAP_RECORD_HEADER_LEN) {
      throw new CaptureFormatError(`record header truncated: ${bytes.length - off} of ${PCAP_RECORD_HEADER_LEN} bytes`, off);
    }
    const sec = view.getUint32(off, littleEndian);
    const frac = view.getUint32(off + 4, littleEndian);
    const inclLen = view.getUint32(off + 8, littleEndian);
    const origLen = view.getUint32(off + 12, littleEndian);
    const problem = recordLengthProblem(inclLen, origLen);
    if (problem) throw new CaptureFormatError(problem, off + 8);
    const dataStart = off + PCAP_RECORD_HEADER_LEN;
    if (bytes.length - dataStart < inclLen) {
      throw new CaptureFormatError(`record data truncated: ${bytes.length - dataStart} of ${inclLen} bytes`, dataStart);
    }
    frames.push(Object.freeze({
      data: bytes.slice(dataStart, dataStart + inclLen),
      wireLen: origLen,
      tsNs: pcapTimestampNs(sec, frac, precision),
      iface: 0,
    }));
    off = dataStart + inclLen;
  }
  const iface = Object.freeze({ linkType: header.linkType, snaplen: header.snaplen });
  return Object.freeze({ linkType: header.linkType, interfaces: Object.freeze([iface]), frames: Object.freeze(frames) });
}
