/** Typed failures of capture reading: a malformed file (with where), or a link type xdpjit cannot run. */
import { LinkType, linkTypeName } from './capture-types.js';

/** The bytes are not a well-formed pcap / pcapng file; `byteOffset` is where the reader gave up. */
export class CaptureFormatError extends Error {
  override readonly name = 'CaptureFormatError';
  constructor(message: string, readonly byteOffset: number) {
    super(`${message} (at byte ${byteOffset})`);
  }
}

/** The capture is well formed but not Ethernet (design.md §4: refused with exit 2 / HTTP 400). */
export class UnsupportedLinkTypeError extends Error {
  override readonly name = 'UnsupportedLinkTypeError';
  constructor(readonly linkType: number, readonly iface = 0) {
    super(
      `unsupported capture link type ${linkTypeName(linkType)} on interface ${iface}: ` +
        `xdpjit runs ${linkTypeName(LinkType.ETHERNET)} frames only`,
    );
  }
}
