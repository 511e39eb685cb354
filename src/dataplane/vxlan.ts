/**
 * VXLAN encapsulation (RFC 7348 §5): an 8-byte header in a UDP datagram, then the inner Ethernet frame.
 * ```
 *  0               1               2               3
 *  |R|R|R|R|I|R|R|R|            Reserved (24 bits)                  |
 *  |          VXLAN Network Identifier (VNI, 24 bits)  | Reserved   |
 * ```
 * The I flag (0x08) must be set for a valid VNI; receivers ignore the reserved bits (§5).
 */
import dgram from 'node:dgram';

export const VXLAN_HEADER_SIZE = 8;
const VXLAN_FLAG_I = 0x08;

export class VxlanDecodeError extends Error {
  constructor(message: string, readonly length: number) {
    super(`VXLAN: ${message} (datagram of ${length} bytes)`);
    this.name = 'VxlanDecodeError';
  }
}

export function encapsulate(vni: number, frame: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(VXLAN_HEADER_SIZE + frame.length);
  out.writeUInt32BE(VXLAN_FLAG_I << 24, 0);
  out.writeUInt32BE((vni & 0xffffff) << 8 >>> 0, 4);
  out.set(frame, VXLAN_HEADER_SIZE);
  return out;
}

export interface VxlanPacket { readonly vni: number; readonly frame: Uint8Array }

export function decapsulate(datagram: Uint8Array): VxlanPacket {
  if (datagram.length < VXLAN_HEADER_SIZE + 14) throw new VxlanDecodeError('shorter than header + Ethernet header', datagram.length);
  if ((datagram[0]! & VXLAN_FLAG_I) === 0) throw new VxlanDecodeError('I flag clear (no valid VNI)', datagram.length);
  const vni = (datagram[4]! << 16) | (datagram[5]! << 8) | datagram[6]!;
  return { vni, frame: datagram.subarray(VXLAN_HEADER_SIZE) };
}

export interface HostPort { readonly host: string; readonly port: number }

export function parseHostPort(s: string): HostPort {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(s);
  if (!m || m[1] === '' || Number(m[2]) > 65535) throw new Error(`'${s}' is not HOST:PORT`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** One VXLAN tunnel endpoint: a UDP socket bound at `listen`, sending to `remote`. */
export class VxlanEndpoint {
  private readonly socket: dgram.Socket;
  decodeErrors = 0;
  otherVni = 0;

  private constructor(readonly vni: number, readonly remote: HostPort, socket: dgram.Socket) {
    this.socket = socket;
  }

  static async open(vni: number, listen: HostPort, remote: HostPort, onFrame: (frame: Uint8Array) => void): Promise<VxlanEndpoint> {
    const socket = dgram.createSocket({ type: listen.host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
    const ep = new VxlanEndpoint(vni, remote, socket);
    socket.on('message', (msg) => {
      let pkt: VxlanPacket;
      try { pkt = decapsulate(msg); } catch { ep.decodeErrors++; return; }
      if (pkt.vni !== vni) { ep.otherVni++; return; }
      onFrame(pkt.frame);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(listen.port, listen.host, () => { socket.off('error', reject); resolve(); });
    });
    socket.on('error', () => { ep.decodeErrors++; });
    return ep;
  }

  get localPort(): number { return this.socket.address().port; }

  send(frame: Uint8Array): void {
    this.socket.send(encapsulate(this.vni, frame), this.remote.port, this.remote.host);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
