/**
 * Builders for the headers the sample captures contain, each computing its own lengths and checksums
 * (RFC 791 / 1071 internet checksum, RFC 768 / 793 / 8200 §8.1 pseudo-headers), so a generated frame is
 * valid unless the generator breaks it on purpose afterwards.
 */

export const EtherType = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd, LLDP: 0x88cc } as const;
export const IpProto = { HOPOPTS: 0, ICMP: 1, TCP: 6, UDP: 17, ROUTING: 43, FRAGMENT: 44, ICMPV6: 58, NONE: 59, DSTOPTS: 60 } as const;
export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

/** Ethernet frames shorter than this are padded (IEEE 802.3 minimum 64 bytes with the FCS, which captures omit). */
export const ETH_MIN_FRAME = 60;

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function u16be(v: number): Uint8Array {
  return Uint8Array.of((v >> 8) & 0xff, v & 0xff);
}

function u32be(v: number): Uint8Array {
  return Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

/** RFC 1071 one's-complement sum of 16-bit big-endian words, folded, not inverted. */
export function onesSum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < data.length; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (data.length & 1) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export function internetChecksum(data: Uint8Array, initial = 0): number {
  return ~onesSum(data, initial) & 0xffff;
}

export function mac(lastTwo: number, prefix = 0x02): Uint8Array {
  // Locally administered unicast (0x02 first octet) so no real vendor's addresses appear.
  return Uint8Array.of(prefix, 0x00, 0x5e, 0x10, (lastTwo >> 8) & 0xff, lastTwo & 0xff);
}

export const BROADCAST_MAC = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

export interface VlanTag {
  readonly tpid: number;
  readonly vid: number;
  readonly pcp?: number;
}

export function ethernet(dst: Uint8Array, src: Uint8Array, etherType: number, payload: Uint8Array, vlans: readonly VlanTag[] = []): Uint8Array {
  // Each tag is its TPID followed by its TCI; the real EtherType follows the innermost tag.
  const tags = vlans.map((t) => concat(u16be(t.tpid), u16be(((t.pcp ?? 0) << 13) | (t.vid & 0xfff))));
  const frame = concat(dst, src, ...tags, u16be(etherType), payload);
  if (frame.length >= ETH_MIN_FRAME) return frame;
  return concat(frame, new Uint8Array(ETH_MIN_FRAME - frame.length));
}

export function ipv4Addr(a: number, b: number, c: number, d: number): Uint8Array {
  return Uint8Array.of(a, b, c, d);
}

/** 2001:db8:<g2>:<g3>::<host> (RFC 3849 documentation prefix). */
export function ipv6Addr(g2: number, g3: number, host: number): Uint8Array {
  const a = new Uint8Array(16);
  a.set([0x20, 0x01, 0x0d, 0xb8, (g2 >> 8) & 0xff, g2 & 0xff, (g3 >> 8) & 0xff, g3 & 0xff]);
  a[14] = (host >> 8) & 0xff;
  a[15] = host & 0xff;
  return a;
}

export interface Ipv4Fields {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly proto: number;
  readonly ttl?: number;
  readonly tos?: number;
  readonly id?: number;
  readonly dontFragment?: boolean;
  readonly moreFragments?: boolean;
  /** In bytes; must be a multiple of 8. */
  readonly fragmentOffset?: number;
  /** Raw option bytes, padded by the caller to a multiple of 4 (at most 40). */
  readonly options?: Uint8Array;
}

export function ipv4(f: Ipv4Fields, payload: Uint8Array): Uint8Array {
  const options = f.options ?? new Uint8Array(0);
  if (options.length % 4 !== 0 || options.length > 40) throw new RangeError('IPv4 options must be 4-byte padded, at most 40 bytes');
  const hlen = 20 + options.length;
  const h = new Uint8Array(hlen);
  const v = new DataView(h.buffer);
  h[0] = 0x40 | (hlen / 4);
  h[1] = f.tos ?? 0;
  v.setUint16(2, hlen + payload.length);
  v.setUint16(4, f.id ?? 0);
  const flags = (f.dontFragment ? 0x4000 : 0) | (f.moreFragments ? 0x2000 : 0);
  v.setUint16(6, flags | ((f.fragmentOffset ?? 0) >> 3));
  h[8] = f.ttl ?? 64;
  h[9] = f.proto;
  h.set(f.src, 12);
  h.set(f.dst, 16);
  h.set(options, 20);
  v.setUint16(10, internetChecksum(h));
  return concat(h, payload);
}

export interface Ipv6Fields {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  /** Next header of the fixed header (first extension header's type, or the upper-layer protocol). */
  readonly nextHeader: number;
  readonly hopLimit?: number;
  readonly flowLabel?: number;
  readonly trafficClass?: number;
}

export function ipv6(f: Ipv6Fields, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(40);
  const v = new DataView(h.buffer);
  v.setUint32(0, (6 << 28) | ((f.trafficClass ?? 0) << 20) | ((f.flowLabel ?? 0) & 0xfffff));
  v.setUint16(4, payload.length);
  h[6] = f.nextHeader;
  h[7] = f.hopLimit ?? 64;
  h.set(f.src, 8);
  h.set(f.dst, 24);
  return concat(h, payload);
}

/** Pseudo-header sum for TCP/UDP/ICMPv6 checksums: RFC 793 (IPv4, 12 bytes) or RFC 8200 §8.1 (IPv6, 40 bytes). */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, proto: number, upperLen: number): number {
  if (src.length === 4) return onesSum(concat(src, dst, Uint8Array.of(0, proto), u16be(upperLen)));
  return onesSum(concat(src, dst, u32be(upperLen), Uint8Array.of(0, 0, 0, proto)));
}

export interface L4Addresses {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
}

export function udp(a: L4Addresses, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(8);
  const v = new DataView(h.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint16(4, 8 + payload.length);
  const seg = concat(h, payload);
  let sum = internetChecksum(seg, pseudoHeaderSum(a.src, a.dst, 17, seg.length));
  if (sum === 0) sum = 0xffff; // RFC 768: a computed zero is sent as all ones (zero means "no checksum")
  new DataView(seg.buffer).setUint16(6, sum);
  return seg;
}

export interface TcpFields {
  readonly sport: number;
  readonly dport: number;
  readonly seq: number;
  readonly ack?: number;
  readonly flags: number;
  readonly window?: number;
  /** Raw option bytes, padded to a multiple of 4. */
  readonly options?: Uint8Array;
}

export function tcp(a: L4Addresses, f: TcpFields, payload: Uint8Array): Uint8Array {
  const options = f.options ?? new Uint8Array(0);
  const hlen = 20 + options.length;
  const h = new Uint8Array(hlen);
  const v = new DataView(h.buffer);
  v.setUint16(0, f.sport);
  v.setUint16(2, f.dport);
  v.setUint32(4, f.seq >>> 0);
  v.setUint32(8, (f.ack ?? 0) >>> 0);
  h[12] = (hlen / 4) << 4;
  h[13] = f.flags;
  v.setUint16(14, f.window ?? 65535);
  h.set(options, 20);
  const seg = concat(h, payload);
  new DataView(seg.buffer).setUint16(16, internetChecksum(seg, pseudoHeaderSum(a.src, a.dst, 6, seg.length)));
  return seg;
}

/** ICMP (RFC 792) echo request (8) / reply (0), or any type with a 4-byte rest-of-header. */
export function icmp(type: number, code: number, rest: number, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(8);
  const v = new DataView(h.buffer);
  h[0] = type;
  h[1] = code;
  v.setUint32(4, rest >>> 0);
  const msg = concat(h, payload);
  new DataView(msg.buffer).setUint16(2, internetChecksum(msg));
  return msg;
}

/** ICMPv6 (RFC 4443): checksum over the IPv6 pseudo-header too. */
export function icmpv6(a: L4Addresses, type: number, code: number, rest: number, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(8);
  const v = new DataView(h.buffer);
  h[0] = type;
  h[1] = code;
  v.setUint32(4, rest >>> 0);
  const msg = concat(h, payload);
  new DataView(msg.buffer).setUint16(2, internetChecksum(msg, pseudoHeaderSum(a.src, a.dst, 58, msg.length)));
  return msg;
}

/** ARP for IPv4 over Ethernet (RFC 826). op 1 = request, 2 = reply. */
export function arp(op: number, sha: Uint8Array, spa: Uint8Array, tha: Uint8Array, tpa: Uint8Array): Uint8Array {
  return concat(u16be(1), u16be(0x0800), Uint8Array.of(6, 4), u16be(op), sha, spa, tha, tpa);
}

/** Hop-by-hop or destination options header (RFC 8200 §4.3, §4.6): options padded with PadN to a multiple of 8. */
export function optionsHeader(next: number, options: Uint8Array): Uint8Array {
  const bodyLen = 2 + options.length;
  const total = Math.ceil(bodyLen / 8) * 8;
  const pad = total - bodyLen;
  const padding = pad === 0 ? new Uint8Array(0) : pad === 1 ? Uint8Array.of(0) : concat(Uint8Array.of(1, pad - 2), new Uint8Array(pad - 2));
  return concat(Uint8Array.of(next, total / 8 - 1), options, padding);
}

/** RFC 2711 router alert option (type 5), value 0 = MLD. */
export const ROUTER_ALERT_OPTION = Uint8Array.of(5, 2, 0, 0);

/** Segment Routing Header (RFC 8754), routing type 4, with Segments Left 0 so the IPv6 destination is final. */
export function segmentRoutingHeader(next: number, segments: readonly Uint8Array[]): Uint8Array {
  const h = new Uint8Array(8);
  h[0] = next;
  h[1] = segments.length * 2; // (8 + 16n) / 8 - 1
  h[2] = 4;
  h[3] = 0;
  h[4] = segments.length - 1;
  return concat(h, ...segments);
}

/** Fragment header (RFC 8200 §4.5). */
export function fragmentHeader(next: number, offsetBytes: number, more: boolean, id: number): Uint8Array {
  const h = new Uint8Array(8);
  const v = new DataView(h.buffer);
  h[0] = next;
  v.setUint16(2, offsetBytes | (more ? 1 : 0));
  v.setUint32(4, id >>> 0);
  return h;
}
