/**
 * A packet capture as the data plane consumes it: every record of a classic pcap or pcapng file, in file
 * order, with the captured bytes, the length on the wire and a nanosecond timestamp. Formats and their
 * readers live beside this file; nothing here knows about files.
 */

/** LINKTYPE_* values from the tcpdump.org link-layer header types registry (the ones we name in messages). */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  IEEE802_11: 105,
  LOOP: 108,
  LINUX_SLL: 113,
  IEEE802_11_RADIOTAP: 127,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** "LINKTYPE_RAW (101)", or "link type 999" for a value outside the table. */
export function linkTypeName(linkType: number): string {
  for (const [name, value] of Object.entries(LinkType)) {
    if (value === linkType) return `LINKTYPE_${name} (${linkType})`;
  }
  return `link type ${linkType}`;
}

export interface CapturedFrame {
  /** The captured bytes (a copy owned by the frame). May be shorter than `wireLen`. */
  readonly data: Uint8Array;
  /** Length of the frame on the wire (pcap orig_len / pcapng original packet length); ≥ data.length. */
  readonly wireLen: number;
  /** Nanoseconds since the Unix epoch (0n where the format records none: pcapng Simple Packet Blocks). */
  readonly tsNs: bigint;
  /** Interface index: 0 for classic pcap; for pcapng the IDB's position in the file, counted over sections. */
  readonly iface: number;
}

/** One capture interface: the single implicit one of a classic pcap, or a pcapng Interface Description Block. */
export interface CaptureInterface {
  readonly linkType: number;
  /** 0 means "no limit" (pcapng allows it). */
  readonly snaplen: number;
  readonly name?: string;
}

export interface Capture {
  /** Link type of interface 0 (classic pcap: the file's only one). */
  readonly linkType: number;
  /** Every interface, indexed by `CapturedFrame.iface`. */
  readonly interfaces: readonly CaptureInterface[];
  readonly frames: readonly CapturedFrame[];
}
