/** Entry points: read any supported capture by its magic, and insist on Ethernet (design.md §4). */
import { CaptureFormatError, UnsupportedLinkTypeError } from './capture-errors.js';
import { LinkType, type Capture } from './capture-types.js';
import { BlockType } from './pcapng-format.js';
import { parsePcapMagic, readPcap } from './pcap-reader.js';
import { readPcapng } from './pcapng-reader.js';

export type CaptureFormat = 'pcap' | 'pcapng';

/** Which format the first bytes announce, or undefined. */
export function sniffCaptureFormat(bytes: Uint8Array): CaptureFormat | undefined {
  if (bytes.length >= 4) {
    const first = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
    if (first === BlockType.SHB) return 'pcapng';
  }
  return parsePcapMagic(bytes) ? 'pcap' : undefined;
}

export function readCapture(bytes: Uint8Array): Capture {
  switch (sniffCaptureFormat(bytes)) {
    case 'pcap':
      return readPcap(bytes);
    case 'pcapng':
      return readPcapng(bytes);
    default:
      throw new CaptureFormatError(
        bytes.length < 4 ? `file too short for a capture (${bytes.length} bytes)` : 'not a pcap or pcapng file (unknown magic)',
        0,
      );
  }
}

/** Throws UnsupportedLinkTypeError naming the first interface that is not LINKTYPE_ETHERNET. */
export function requireEthernet<T extends Pick<Capture, 'linkType' | 'interfaces'>>(capture: T): T {
  capture.interfaces.forEach((iface, i) => {
    if (iface.linkType !== LinkType.ETHERNET) throw new UnsupportedLinkTypeError(iface.linkType, i);
  });
  if (capture.interfaces.length === 0 && capture.linkType !== LinkType.ETHERNET) {
    throw new UnsupportedLinkTypeError(capture.linkType);
  }
  return capture;
}
