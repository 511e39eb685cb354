/**
 * The virtual interfaces of design.md §4: what an interface is, independent of how frames move through it.
 * `pcap` interfaces are fed by replays and can capture what leaves; `veth` ends come in pairs (what one
 * transmits the other receives); `vxlan` interfaces carry real host traffic over RFC 7348 tunnels.
 */
import type { VxlanEndpoint } from './vxlan.js';

export type InterfaceKind = 'pcap' | 'veth' | 'vxlan';

/** Optional recording of an interface's traffic: pcap paths (inside the daemon's pcaps directory). */
export interface CaptureSpec {
  /** Frames delivered to the stack side (XDP_PASS, or no program). */
  readonly pass?: string;
  /** Frames leaving the interface (XDP_TX, redirects to it). */
  readonly tx?: string;
}

export type InterfaceSpec =
  | { readonly name: string; readonly kind: 'pcap'; readonly capture?: CaptureSpec }
  | { readonly name: string; readonly kind: 'veth'; readonly peer: string; readonly capture?: CaptureSpec }
  | { readonly name: string; readonly kind: 'vxlan'; readonly vni: number; readonly listen: string; readonly remote: string; readonly capture?: CaptureSpec };

/** Where an interface's frames can be recorded: PASS → its stack side, TX → what leaves it. */
export interface FrameSink {
  write(frame: Uint8Array, tsNs: bigint): void;
  /** Push out anything buffered (periodically, and before the interface goes away). */
  flush?(): void;
  close?(): void;
}

export class InterfaceStats {
  rxPackets = 0; rxBytes = 0;
  /** Delivered to the stack side (XDP_PASS, or no program attached). */
  passPackets = 0; passBytes = 0;
  /** Left the interface (XDP_TX on it, a redirect to it, or a veth peer's transmit). */
  txPackets = 0; txBytes = 0;
  /** Dropped before any program ran (RX backlog full). */
  rxDropped = 0;
  /** XSKMAP redirects handed to a socket-like consumer attached over the API (design.md §4). */
  xskPackets = 0; xskBytes = 0;
  /** XSKMAP redirects to a queue with no consumer attached: counted here and dropped. */
  xskDropped = 0;
}

export class NetInterface {
  readonly stats = new InterfaceStats();
  /** Frames submitted to CPUs and not yet delivered: bounded to model an RX ring (queue_full beyond). */
  backlog = 0;
  up = true;
  peer: NetInterface | null = null;
  vxlan: VxlanEndpoint | null = null;
  passSink: FrameSink | null = null;
  txSink: FrameSink | null = null;
  /** MTU in bytes of L3 payload; a redirect of a longer frame fails with `too_big`. */
  readonly mtu: number;

  constructor(readonly ifindex: number, readonly spec: InterfaceSpec) {
    this.mtu = spec.kind === 'vxlan' ? 1500 : 9000;
  }

  get name(): string { return this.spec.name; }
  get kind(): InterfaceKind { return this.spec.kind; }
}
