/**
 * Generates the sample captures in pcaps/ (run: `node dist/pcaps/generate.js [OUT_DIR]`). Seeded, so every
 * regeneration is byte-identical. What each file is for:
 *   mixed.pcap         a few hundred frames: IPv4/IPv6, TCP/UDP/ICMP/ICMPv6 echo, ARP, 802.1Q and QinQ,
 *                      IPv4 options, IPv6 extension headers (hop-by-hop, routing, fragment, dest opts),
 *                      fragments, many flows, sizes 60–1514 and jumbo frames (> 3520, multi-buffer)
 *   malformed.pcap     truncation at every layer, bad lengths and checksums, frames under 14 bytes,
 *                      records whose captured length is below the wire length
 *   flood64.pcap       64-byte UDP frames over 1024 flows (benchmarks)
 *   *.ns.pcap          the same frames with nanosecond timestamps; *.pcapng: two Ethernet interfaces
 *                      (µs and ns resolution) in one section, with interface statistics
 *   mixed.be.pcap      big-endian classic pcap
 *   raw.pcap           LINKTYPE_RAW (101): not Ethernet, must be refused
 *   linktypes.pcapng   interface 0 Ethernet, interface 1 LINKTYPE_RAW: must be refused
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LinkType } from '../src/dataplane/capture/capture-types.js';
import { encodePcap } from '../src/dataplane/capture/pcap-writer.js';
import { encodePcapng, type PcapngPacket } from '../src/dataplane/capture/pcapng-writer.js';
import {
  BROADCAST_MAC, EtherType, IpProto, ROUTER_ALERT_OPTION, TcpFlag, arp, concat, ethernet, fragmentHeader, icmp,
  icmpv6, ipv4, ipv4Addr, ipv6, ipv6Addr, mac, optionsHeader, segmentRoutingHeader, tcp, udp, type VlanTag,
} from './frame-builder.js';
import { Prng } from './prng.js';

export interface SampleFrame {
  readonly data: Uint8Array;
  readonly wireLen: number;
  readonly tsNs: bigint;
  /** pcapng interface (0 or 1). */
  readonly iface: number;
}

const SEED = 0x5eed_0001;
/** 2026-01-01T00:00:00Z: fixed so captures do not change with the day they were generated. */
const EPOCH_NS = 1_767_225_600n * 1_000_000_000n;

const DST_PORTS = [80, 443, 8080, 22, 23, 53, 123, 4242, 4243, 5201, 9000] as const;

type L4 = 'tcp' | 'udp' | 'icmp';
type Ipv6Chain = readonly ('hbh' | 'dst' | 'rh' | 'frag')[];

interface Flow {
  readonly index: number;
  readonly family: 4 | 6;
  readonly l4: L4;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly srcMac: Uint8Array;
  readonly dstMac: Uint8Array;
  readonly sport: number;
  readonly dport: number;
  readonly vlans: readonly VlanTag[];
  readonly ipv4Options?: Uint8Array;
  readonly ipv6Chain: Ipv6Chain;
}

/** IPv4 options: router alert (RFC 2113), or a 40-byte Record Route (RFC 791) that makes IHL 15. */
function ipv4OptionsFor(kind: number): Uint8Array {
  if (kind === 0) return Uint8Array.of(0x94, 0x04, 0x00, 0x00);
  const rr = new Uint8Array(40);
  rr[0] = 7;
  rr[1] = 39;
  rr[2] = 4;
  return rr; // final byte 0 = End of Option List
}

function makeFlows(rng: Prng, count: number): Flow[] {
  const flows: Flow[] = [];
  for (let i = 0; i < count; i++) {
    const family: 4 | 6 = i % 3 === 2 ? 6 : 4;
    const l4: L4 = rng.pick(['tcp', 'tcp', 'udp', 'udp', 'icmp'] as const);
    const blocked = i % 7 === 3; // sources inside lpm_blocklist.maps prefixes
    let src: Uint8Array;
    let dst: Uint8Array;
    if (family === 4) {
      src = blocked
        ? (i % 2 ? ipv4Addr(192, 168, 7, rng.int(1, 254)) : ipv4Addr(10, 1, rng.int(0, 255), rng.int(1, 254)))
        : ipv4Addr(10, 0, rng.int(0, 255), rng.int(1, 254));
      dst = ipv4Addr(10, 9, 0, rng.int(1, 20));
    } else {
      src = blocked ? ipv6Addr(1, 0, rng.int(1, 0xffff)) : ipv6Addr(0, rng.int(1, 16), rng.int(1, 0xffff));
      dst = ipv6Addr(9, 0, rng.int(1, 20));
    }
    const vlanKind = i % 11 === 5 ? 2 : i % 5 === 1 ? 1 : 0;
    const vlans: VlanTag[] =
      vlanKind === 2 ? [{ tpid: EtherType.QINQ, vid: 100 + i }, { tpid: EtherType.VLAN, vid: 10 + (i % 4) }]
        : vlanKind === 1 ? [{ tpid: EtherType.VLAN, vid: 10 + (i % 4), pcp: i % 8 }] : [];
    const chains: Ipv6Chain[] = [[], [], ['hbh'], ['dst'], ['rh'], ['hbh', 'dst'], ['hbh', 'rh', 'dst']];
    flows.push({
      index: i,
      family,
      l4,
      src,
      dst,
      srcMac: mac(0x100 + i),
      dstMac: mac(0x001, 0x0a),
      sport: rng.int(32768, 60999),
      dport: rng.pick(DST_PORTS),
      vlans,
      ...(family === 4 && i % 6 === 4 ? { ipv4Options: ipv4OptionsFor(i % 12 === 4 ? 0 : 1) } : {}),
      ipv6Chain: family === 6 ? chains[i % chains.length]! : [],
    });
  }
  return flows;
}

const ETH_LEN = 14;

/** Wraps an upper-layer message in the flow's IPv6 extension-header chain. */
function ipv6WithChain(flow: Flow, upperProto: number, upper: Uint8Array, hopLimit: number): Uint8Array {
  let next = upperProto;
  let body = upper;
  for (const ext of [...flow.ipv6Chain].reverse()) {
    if (ext === 'hbh') {
      body = concat(optionsHeader(next, ROUTER_ALERT_OPTION), body);
      next = IpProto.HOPOPTS;
    } else if (ext === 'dst') {
      body = concat(optionsHeader(next, new Uint8Array(0)), body);
      next = IpProto.DSTOPTS;
    } else if (ext === 'rh') {
      body = concat(segmentRoutingHeader(next, [flow.dst]), body);
      next = IpProto.ROUTING;
    }
  }
  return ipv6({ src: flow.src, dst: flow.dst, nextHeader: next, hopLimit, flowLabel: flow.index }, body);
}

function l3HeaderLen(flow: Flow): number {
  if (flow.family === 4) return 20 + (flow.ipv4Options?.length ?? 0);
  const ext = flow.ipv6Chain.reduce((n, e) => n + (e === 'rh' ? 24 : 8), 0);
  return 40 + ext;
}

/** One frame of a flow, aiming at `size` bytes on the wire (never below the headers). */
function flowFrame(rng: Prng, flow: Flow, size: number, seq: number): Uint8Array {
  const a = { src: flow.src, dst: flow.dst };
  const l4Header = flow.l4 === 'tcp' ? 20 : 8;
  const headerLen = ETH_LEN + flow.vlans.length * 4 + l3HeaderLen(flow) + l4Header;
  const payload = rng.bytes(Math.max(0, size - headerLen));
  let upper: Uint8Array;
  let proto: number;
  if (flow.l4 === 'tcp') {
    const flags = seq === 0 ? TcpFlag.SYN : rng.chance(0.04) ? TcpFlag.RST | TcpFlag.ACK
      : rng.chance(0.05) ? TcpFlag.FIN | TcpFlag.ACK : payload.length ? TcpFlag.PSH | TcpFlag.ACK : TcpFlag.ACK;
    upper = tcp(a, { sport: flow.sport, dport: flow.dport, seq: 1000 + seq * 1460, ack: seq ? 5000 : 0, flags }, payload);
    proto = IpProto.TCP;
  } else if (flow.l4 === 'udp') {
    upper = udp(a, flow.sport, flow.dport, payload);
    proto = IpProto.UDP;
  } else if (flow.family === 4) {
    // Mostly echo requests (what icmp_echo answers), some replies and a destination unreachable.
    const type = seq % 5 === 3 ? 0 : seq % 7 === 6 ? 3 : 8;
    upper = icmp(type, type === 3 ? 3 : 0, ((flow.index & 0xffff) << 16) | (seq & 0xffff), payload);
    proto = IpProto.ICMP;
  } else {
    const type = seq % 5 === 3 ? 129 : 128;
    upper = icmpv6(a, type, 0, ((flow.index & 0xffff) << 16) | (seq & 0xffff), payload);
    proto = IpProto.ICMPV6;
  }
  const l3 = flow.family === 4
    ? ipv4({ src: flow.src, dst: flow.dst, proto, id: seq, ttl: 64, ...(flow.ipv4Options ? { options: flow.ipv4Options } : {}) }, upper)
    : ipv6WithChain(flow, proto, upper, 64);
  return ethernet(flow.dstMac, flow.srcMac, flow.family === 4 ? EtherType.IPV4 : EtherType.IPV6, l3, flow.vlans);
}

/** A UDP datagram split into IPv4 fragments (RFC 791 §3.2): offsets in 8-byte units, MF on all but the last. */
function ipv4Fragments(rng: Prng, id: number): Uint8Array[] {
  const src = ipv4Addr(10, 0, 50, 1);
  const dst = ipv4Addr(10, 9, 0, 1);
  const datagram = udp({ src, dst }, 40000, 5201, rng.bytes(1800));
  const cut = 1480;
  return [
    ipv4({ src, dst, proto: IpProto.UDP, id, moreFragments: true }, datagram.subarray(0, cut)),
    ipv4({ src, dst, proto: IpProto.UDP, id, fragmentOffset: cut }, datagram.subarray(cut)),
  ].map((p) => ethernet(mac(0x001, 0x0a), mac(0x200), EtherType.IPV4, p));
}

/** The same over IPv6 with a fragment header (RFC 8200 §4.5); the UDP checksum covers the whole datagram. */
function ipv6Fragments(rng: Prng, id: number): Uint8Array[] {
  const src = ipv6Addr(0, 50, 1);
  const dst = ipv6Addr(9, 0, 1);
  const datagram = udp({ src, dst }, 40001, 5201, rng.bytes(1800));
  const cut = 1232;
  return [
    concat(fragmentHeader(IpProto.UDP, 0, true, id), datagram.subarray(0, cut)),
    concat(fragmentHeader(IpProto.UDP, cut, false, id), datagram.subarray(cut)),
  ].map((body) => ethernet(mac(0x001, 0x0a), mac(0x201), EtherType.IPV6,
    ipv6({ src, dst, nextHeader: IpProto.FRAGMENT }, body)));
}

function arpFrame(i: number): Uint8Array {
  const sha = mac(0x300 + i);
  const spa = ipv4Addr(10, 0, 99, 1 + i);
  const tpa = ipv4Addr(10, 0, 99, 200);
  return i % 3 === 2
    ? ethernet(mac(0x400), sha, EtherType.ARP, arp(2, sha, spa, mac(0x400), tpa))
    : ethernet(BROADCAST_MAC, sha, EtherType.ARP, arp(1, sha, spa, new Uint8Array(6), tpa));
}

/** Frame sizes 60–1514: a spread, with the two extremes well represented. */
function frameSize(rng: Prng): number {
  const r = rng.u32() % 10;
  if (r === 0) return 60;
  if (r === 1) return 1514;
  if (r < 5) return rng.int(60, 200);
  return rng.int(60, 1514);
}

function timestamps(rng: Prng, count: number): bigint[] {
  const out: bigint[] = [];
  let t = EPOCH_NS;
  for (let i = 0; i < count; i++) {
    t += BigInt(rng.int(1, 2000)) * 1000n + BigInt(rng.int(0, 999));
    out.push(t);
  }
  return out;
}

export function mixedFrames(): SampleFrame[] {
  const rng = new Prng(SEED);
  const flows = makeFlows(rng, 64);
  const seqs = new Map<number, number>();
  const datas: { data: Uint8Array; iface: number }[] = [];
  for (let i = 0; i < 340; i++) {
    const flow = flows[i < flows.length ? i : rng.u32() % flows.length]!;
    const seq = seqs.get(flow.index) ?? 0;
    seqs.set(flow.index, seq + 1);
    datas.push({ data: flowFrame(rng, flow, frameSize(rng), seq), iface: flow.index % 2 });
  }
  for (let i = 0; i < 12; i++) datas.push({ data: arpFrame(i), iface: i % 2 });
  datas.push(...ipv4Fragments(rng, 0x1234).map((data) => ({ data, iface: 0 })));
  datas.push(...ipv6Fragments(rng, 0x5678).map((data) => ({ data, iface: 1 })));
  // Jumbo frames (> 3520 bytes of linear data: multi-buffer in xdpjit and the kernel's test_run).
  const jumboFlows = flows.filter((f) => f.l4 !== 'icmp' && f.vlans.length === 0).slice(0, 6);
  jumboFlows.forEach((f, i) => datas.push({ data: flowFrame(rng, f, i === 0 ? 4000 : 9000 + i * 2, 1), iface: f.index % 2 }));
  // A non-IP, non-ARP frame (LLDP), which parsers must pass over.
  datas.push({ data: ethernet(Uint8Array.of(0x01, 0x80, 0xc2, 0, 0, 0x0e), mac(0x500), EtherType.LLDP, rng.bytes(46)), iface: 0 });

  // Interleave the specials with the flow traffic deterministically.
  const order = datas.map((d, i) => ({ d, key: rng.u32(), i }));
  order.sort((x, y) => x.key - y.key || x.i - y.i);
  const ts = timestamps(rng, order.length);
  return order.map(({ d }, i) => ({ data: d.data, wireLen: d.data.length, tsNs: ts[i]!, iface: d.iface }));
}

interface Broken {
  readonly data: Uint8Array;
  readonly wireLen?: number;
}

/** Every frame here is wrong in one deliberate way (the comment says which). */
export function malformedFrames(): SampleFrame[] {
  const rng = new Prng(SEED ^ 0xbad);
  const src4 = ipv4Addr(10, 0, 7, 7);
  const dst4 = ipv4Addr(10, 9, 0, 7);
  const src6 = ipv6Addr(0, 7, 7);
  const dst6 = ipv6Addr(9, 0, 7);
  const a4 = { src: src4, dst: dst4 };
  const a6 = { src: src6, dst: dst6 };
  const dmac = mac(0x001, 0x0a);
  const smac = mac(0x600);
  const ethHeader = (type: number) => concat(dmac, smac, Uint8Array.of(type >> 8, type & 0xff));
  const goodUdp4 = () => ethernet(dmac, smac, EtherType.IPV4, ipv4({ ...a4, proto: IpProto.UDP }, udp(a4, 1111, 5201, rng.bytes(40))));
  const goodTcp4 = () => ethernet(dmac, smac, EtherType.IPV4, ipv4({ ...a4, proto: IpProto.TCP }, tcp(a4, { sport: 2222, dport: 80, seq: 1, flags: TcpFlag.ACK }, rng.bytes(30))));
  const goodUdp6 = () => ethernet(dmac, smac, EtherType.IPV6, ipv6({ ...a6, nextHeader: IpProto.UDP }, udp(a6, 3333, 53, rng.bytes(40))));
  const setByte = (f: Uint8Array, at: number, v: number) => { const c = f.slice(); c[at] = v; return c; };
  const set16 = (f: Uint8Array, at: number, v: number) => { const c = f.slice(); new DataView(c.buffer).setUint16(at, v); return c; };
  const flip = (f: Uint8Array, at: number) => setByte(f, at, f[at]! ^ 0xff);

  const broken: Broken[] = [
    { data: new Uint8Array(0) },                                 // empty record
    { data: Uint8Array.of(0xff) },                               // 1 byte
    { data: dmac },                                              // 6 bytes: destination MAC only
    { data: concat(dmac, smac) },                                // 12 bytes: no EtherType
    { data: concat(dmac, smac, Uint8Array.of(0x08)) },           // 13 bytes: half an EtherType
    { data: ethHeader(EtherType.IPV4) },                         // 14 bytes: Ethernet only, IPv4 announced
    { data: concat(ethHeader(EtherType.IPV4), goodUdp4().subarray(14, 24)) }, // IPv4 header cut at 10 bytes
    { data: setByte(goodUdp4(), 14, 0x44) },                     // IHL 4 (< 5)
    { data: concat(ethHeader(EtherType.IPV4), setByte(goodUdp4(), 14, 0x4f).subarray(14, 44)) }, // IHL 15, 30 bytes present
    { data: set16(goodUdp4(), 16, 1500) },                       // total length beyond the frame
    { data: set16(goodUdp4(), 16, 10) },                         // total length below the header length
    { data: flip(goodUdp4(), 24) },                              // bad IPv4 header checksum
    { data: setByte(goodUdp4(), 14, 0x65) },                     // version 6 under the IPv4 EtherType
    { data: ethernet(dmac, smac, EtherType.IPV4, ipv4({ ...a4, proto: IpProto.UDP, options: Uint8Array.of(0x07, 40, 4, 0) }, udp(a4, 1, 2, rng.bytes(8)))) }, // option length overruns the header
    { data: goodTcp4().subarray(0, 14 + 20 + 10) },              // TCP header cut at 10 bytes
    { data: setByte(goodTcp4(), 14 + 20 + 12, 0x20) },           // TCP data offset 2 (< 5)
    { data: setByte(goodTcp4(), 14 + 20 + 12, 0xf0) },           // TCP data offset 15 beyond the segment
    { data: flip(goodTcp4(), 14 + 20 + 17) },                    // bad TCP checksum
    { data: goodUdp4().subarray(0, 14 + 20 + 4) },               // UDP header cut at 4 bytes
    { data: set16(goodUdp4(), 14 + 20 + 4, 400) },               // UDP length beyond the datagram
    { data: set16(goodUdp4(), 14 + 20 + 4, 4) },                 // UDP length below its header
    { data: flip(goodUdp4(), 14 + 20 + 7) },                     // bad UDP checksum
    { data: ethernet(dmac, smac, EtherType.IPV4, ipv4({ ...a4, proto: IpProto.ICMP }, icmp(8, 0, 1, rng.bytes(32)))).subarray(0, 14 + 20 + 3) }, // ICMP cut at 3 bytes
    { data: flip(ethernet(dmac, smac, EtherType.IPV4, ipv4({ ...a4, proto: IpProto.ICMP }, icmp(8, 0, 2, rng.bytes(32)))), 14 + 20 + 3) }, // ICMP echo, bad checksum
    { data: goodUdp6().subarray(0, 14 + 20) },                   // IPv6 header cut at 20 bytes
    { data: set16(goodUdp6(), 14 + 4, 4000) },                   // IPv6 payload length beyond the frame
    { data: ethernet(dmac, smac, EtherType.IPV6, ipv6({ ...a6, nextHeader: IpProto.HOPOPTS }, Uint8Array.of(IpProto.UDP, 0, 1, 2))) }, // hop-by-hop header cut at 4 bytes
    { data: ethernet(dmac, smac, EtherType.IPV6, ipv6({ ...a6, nextHeader: IpProto.DSTOPTS }, concat(Uint8Array.of(IpProto.UDP, 255), new Uint8Array(30)))) }, // ext header length 2048 beyond the frame
    { data: ethernet(dmac, smac, EtherType.IPV6, ipv6({ ...a6, nextHeader: IpProto.DSTOPTS },
      concat(...Array.from({ length: 10 }, (_, i) => optionsHeader(i === 9 ? IpProto.UDP : IpProto.DSTOPTS, new Uint8Array(0))), udp(a6, 4, 5, rng.bytes(8))))) }, // 10 extension headers: past any walker's bound
    { data: flip(ethernet(dmac, smac, EtherType.IPV6, ipv6({ ...a6, nextHeader: IpProto.ICMPV6 }, icmpv6(a6, 128, 0, 7, rng.bytes(24)))), 14 + 40 + 2) }, // ICMPv6 echo, bad checksum
    { data: concat(ethHeader(EtherType.VLAN), Uint8Array.of(0x00, 0x0a)) },  // 802.1Q tag cut after the TCI
    { data: concat(ethHeader(EtherType.QINQ), Uint8Array.of(0x00, 0x64, 0x81, 0x00, 0x00)) }, // QinQ inner tag cut
    { data: concat(ethHeader(EtherType.ARP), Uint8Array.of(0, 1, 8, 0, 6, 4, 0, 1, 2, 3)) },  // ARP cut at 10 bytes
    { data: concat(dmac, smac, Uint8Array.of(0x00, 0x2e, 0xaa, 0xaa, 0x03), rng.bytes(43)) }, // 802.3 length field + LLC, not an EtherType
    { data: ethernet(dmac, smac, 0x88b5, rng.bytes(50)) },       // IEEE local experimental EtherType
  ];
  // Captured length below the wire length (snaplen cut), at several layers.
  const bigUdp = ethernet(dmac, smac, EtherType.IPV4, ipv4({ ...a4, proto: IpProto.UDP }, udp(a4, 1234, 53, rng.bytes(1472))));
  broken.push({ data: bigUdp.subarray(0, 64), wireLen: bigUdp.length });
  broken.push({ data: bigUdp.subarray(0, 30), wireLen: bigUdp.length });
  const jumbo = ethernet(dmac, smac, EtherType.IPV6, ipv6({ ...a6, nextHeader: IpProto.TCP }, tcp(a6, { sport: 5, dport: 443, seq: 9, flags: TcpFlag.ACK }, rng.bytes(8926))));
  broken.push({ data: jumbo.subarray(0, 128), wireLen: jumbo.length });
  broken.push({ data: goodTcp4().subarray(0, 14 + 20 + 8), wireLen: goodTcp4().length });
  // And a few well-formed frames, so a reader of this file also sees the normal path.
  broken.push({ data: goodUdp4() }, { data: goodTcp4() }, { data: goodUdp6() });

  const ts = timestamps(rng, broken.length);
  return broken.map((b, i) => ({ data: b.data.slice(), wireLen: b.wireLen ?? b.data.length, tsNs: ts[i]!, iface: i % 2 }));
}

export function flood64Frames(): SampleFrame[] {
  const rng = new Prng(SEED ^ 0xf10);
  const frames: SampleFrame[] = [];
  const dst = ipv4Addr(10, 9, 0, 1);
  let t = EPOCH_NS;
  for (let i = 0; i < 8192; i++) {
    const flow = rng.u32() % 1024;
    const src = ipv4Addr(10, 2, flow >> 8, (flow & 0xff) || 1);
    // 14 + 20 + 8 + 22 = 64 bytes of frame data.
    const l3 = ipv4({ src, dst, proto: IpProto.UDP, id: i & 0xffff }, udp({ src, dst }, 1024 + flow, 5201 + (flow % 4), rng.bytes(22)));
    const data = ethernet(mac(0x001, 0x0a), mac(0x700 + (flow & 0xff)), EtherType.IPV4, l3);
    t += 67n; // 64-byte frames at 10 Gb/s line rate: one every 67.2 ns
    frames.push({ data, wireLen: data.length, tsNs: t, iface: 0 });
  }
  return frames;
}

/** IP packets without a link-layer header, for LINKTYPE_RAW. */
function rawIpPackets(): Uint8Array[] {
  const rng = new Prng(SEED ^ 0x4a3);
  const a4 = { src: ipv4Addr(10, 0, 0, 1), dst: ipv4Addr(10, 9, 0, 1) };
  const a6 = { src: ipv6Addr(0, 1, 1), dst: ipv6Addr(9, 0, 1) };
  return [
    ipv4({ ...a4, proto: IpProto.UDP }, udp(a4, 1000, 53, rng.bytes(20))),
    ipv4({ ...a4, proto: IpProto.ICMP }, icmp(8, 0, 1, rng.bytes(16))),
    ipv6({ ...a6, nextHeader: IpProto.UDP }, udp(a6, 1000, 53, rng.bytes(20))),
    ipv4({ ...a4, proto: IpProto.TCP }, tcp(a4, { sport: 1000, dport: 80, seq: 1, flags: TcpFlag.SYN }, new Uint8Array(0))),
  ];
}

function pcapngOf(frames: readonly SampleFrame[], spbEvery = 0): Uint8Array {
  const interfaces = [
    { linkType: LinkType.ETHERNET, snaplen: 65535, name: 'eth0' },              // µs timestamps (default)
    { linkType: LinkType.ETHERNET, snaplen: 65535, name: 'eth1', tsresol: 9 },  // ns timestamps
  ];
  const packets: PcapngPacket[] = frames.map((f, i) =>
    spbEvery && f.iface === 0 && f.data.length === f.wireLen && i % spbEvery === 0
      ? { kind: 'spb', data: f.data, wireLen: f.wireLen }
      : { kind: 'epb', iface: f.iface, data: f.data, wireLen: f.wireLen, tsNs: f.tsNs });
  return encodePcapng([{ interfaces, packets, statistics: true, comment: 'xdpjit sample capture (pcaps/generate.ts)' }]);
}

/** Every file this generator writes, by name. */
export function generateCaptures(): Map<string, Uint8Array> {
  const mixed = mixedFrames();
  const malformed = malformedFrames();
  const flood = flood64Frames();
  const raw = rawIpPackets().map((data, i) => ({ data, tsNs: EPOCH_NS + BigInt(i) * 1000n }));
  const files = new Map<string, Uint8Array>();
  files.set('mixed.pcap', encodePcap(mixed));
  files.set('mixed.ns.pcap', encodePcap(mixed, { precision: 'ns' }));
  files.set('mixed.pcapng', pcapngOf(mixed));
  files.set('mixed.be.pcap', encodePcap(mixed, { byteOrder: 'be' }));
  files.set('malformed.pcap', encodePcap(malformed));
  files.set('malformed.ns.pcap', encodePcap(malformed, { precision: 'ns' }));
  files.set('malformed.pcapng', pcapngOf(malformed, 3));
  files.set('flood64.pcap', encodePcap(flood));
  files.set('raw.pcap', encodePcap(raw, { linkType: LinkType.RAW }));
  files.set('linktypes.pcapng', encodePcapng([{
    interfaces: [{ linkType: LinkType.ETHERNET, snaplen: 65535, name: 'eth0' }, { linkType: LinkType.RAW, snaplen: 65535, name: 'tun0' }],
    packets: [
      { kind: 'epb', iface: 0, data: mixed[0]!.data, tsNs: mixed[0]!.tsNs },
      ...raw.map((r) => ({ kind: 'epb' as const, iface: 1, data: r.data, tsNs: r.tsNs })),
    ],
  }]));
  return files;
}

export function writeCaptures(outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const [name, bytes] of generateCaptures()) {
    writeFileSync(join(outDir, name), bytes);
    written.push(name);
  }
  return written;
}

/** dist/pcaps/generate.js → <repo>/pcaps */
export const DEFAULT_OUT_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../pcaps');

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outDir = resolve(process.argv[2] ?? DEFAULT_OUT_DIR);
  for (const name of writeCaptures(outDir)) process.stdout.write(`${join(outDir, name)}\n`);
}
