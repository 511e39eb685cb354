/**
 * Delivery of frames a program redirected into a DEVMAP or DEVMAP_HASH (design.md §4), as the kernel's
 * xdp_do_redirect → dev_map_enqueue / dev_map_enqueue_multi and the flush that follows (kernel/bpf/devmap.c):
 *
 *  - a single target (the slot bpf_redirect_map found: Desc.REDIRECT_VALUE, ri->tgt_value) must accept the
 *    frame (xdp_ok_fwd_dev: it exists, is up, the frame fits its MTU), else the redirect fails with that
 *    reason, counted against the redirecting program;
 *  - BPF_F_BROADCAST (Desc.REDIRECT_FLAGS, ri->flags) sends one copy to every entry of the map in its
 *    iteration order (DEVMAP by index, DEVMAP_HASH by bucket), skipping entries that cannot take the frame
 *    (is_valid_dst: no error) and, with BPF_F_EXCLUDE_INGRESS, entries whose device is the ingress device;
 *  - an entry whose struct bpf_devmap_val names a program (devmap-value.ts: the daemon's program id, the
 *    object's SEC("xdp/devmap") program) runs it on its copy before transmit, on the same CPU, with
 *    ingress_ifindex = the receiving device, rx_queue_index 0 and egress_ifindex = the entry's device
 *    (dev_map_bpf_prog_run: xdp_rxq_info / xdp_txq_info on the stack). Its verdict: XDP_PASS transmits what
 *    the program left in [data, data_end); XDP_DROP frees; XDP_ABORTED and anything else (TX, REDIRECT,
 *    unknown values: bpf_warn_invalid_xdp_action) count an exception (trace_xdp_exception) and free.
 *
 * Frames for devmap programs run as map-program-queue.ts runs them: queued on the frame's CPU and run once
 * the synchronous delivery of the batch is over, one worker batch per (program, egress device), counted in a
 * counter block of that pair. Limits: the metadata in front of the frame is not carried to the devmap program
 * (data_meta = data), and a multi-buffer frame cannot go through a devmap program (counted as `too_big`).
 */
import { Arena } from '../vm/arena.js';
import { BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, Desc, MAX_LINEAR, RedirectKind } from '../vm/arena-layout.js';
import { MapType } from '../ebpf/object-spec.js';
import { XdpAction } from '../ebpf/opcodes.js';
import { MapHdr } from '../vm/maps/map-header.js';
import { openMap } from '../vm/maps/registry.js';
import { DevmapVal, devmapProgramAt } from '../vm/maps/devmap-value.js';
import { Counter, type CounterBlock, type RedirectErrorReason } from './counters.js';
import {
  MapProgramQueue, type MapProgramCounterRow, type MapProgramQueueOptions, type MapProgramResolver, type QueuedFrame,
} from './map-program-queue.js';

/** One egress device of a redirected frame, and the devmap program to run first (0: none). */
export interface DevmapTarget {
  readonly ifindex: number;
  readonly prog: number;
}

/** The redirect fields of a descriptor (arena-layout.ts Desc.REDIRECT_*), as the program left them. */
export interface RedirectRecord {
  readonly kind: number;
  readonly target: number;
  readonly map: number;
  readonly value: number;
  readonly flags: number;
  readonly ingressIfindex: number;
}

/** The redirect fields of the descriptor at arena address `desc`. */
export function readRedirect(u32: Uint32Array, desc: number): RedirectRecord {
  const f = (off: number): number => u32[(desc + off) >>> 2]!;
  return {
    kind: f(Desc.REDIRECT_KIND), target: f(Desc.REDIRECT_TARGET), map: f(Desc.REDIRECT_MAP), value: f(Desc.REDIRECT_VALUE),
    flags: f(Desc.REDIRECT_FLAGS), ingressIfindex: f(Desc.INGRESS_IFINDEX),
  };
}

const isDeviceMap = (type: number): boolean => type === MapType.DEVMAP || type === MapType.DEVMAP_HASH;

/**
 * The devices a redirect into a device map goes to, or undefined when it is not one (bpf_redirect, CPUMAP,
 * XSKMAP: the caller's business). `accepts(ifindex)` is is_valid_dst for a broadcast (entries that cannot
 * take the frame are skipped); a single target is returned as is, for the caller to check with its errors.
 */
export function devmapTargets(arena: Arena, r: RedirectRecord, accepts: (ifindex: number) => boolean): DevmapTarget[] | undefined {
  if (r.map === 0) return undefined;
  const u32 = arena.u32;
  const type = u32[(r.map + MapHdr.TYPE) >>> 2]!;
  if (!isDeviceMap(type)) return undefined;
  const valueSize = u32[(r.map + MapHdr.VALUE_SIZE) >>> 2]!;
  const entry = (addr: number): DevmapTarget => ({ ifindex: u32[(addr + DevmapVal.IFINDEX) >>> 2]!, prog: devmapProgramAt(u32, addr, valueSize) });
  if (r.kind === RedirectKind.IFINDEX) {
    // The slot as the helper found it; its ifindex was recorded then (Desc.REDIRECT_TARGET).
    return [{ ifindex: r.target, prog: r.value === 0 ? 0 : devmapProgramAt(u32, r.value, valueSize) }];
  }
  if (r.kind !== RedirectKind.BROADCAST || (r.flags & BPF_F_BROADCAST) === 0) return undefined;
  const exclude = (r.flags & BPF_F_EXCLUDE_INGRESS) !== 0;
  const map = openMap(arena, 'devmap', r.map);
  const out: DevmapTarget[] = [];
  for (const key of map.keys()) {
    const addr = map.lookup(key, 0);
    if (addr === 0) continue;
    const t = entry(addr);
    if (exclude && t.ifindex === r.ingressIfindex) continue;
    if (!accepts(t.ifindex)) continue;
    out.push(t);
  }
  return out;
}

/** What dev_map_bpf_prog_run does with a devmap program's return value. */
export type DevmapVerdict = 'transmit' | 'drop' | 'exception';

export function devmapVerdict(action: number): DevmapVerdict {
  switch (action) {
    case XdpAction.PASS: return 'transmit';
    case XdpAction.DROP: return 'drop';
    default: return 'exception';
  }
}

/** How the caller moves frames: checks and transmits on its devices, counts redirect errors. */
export interface DevmapPort {
  /** Why `ifindex` cannot take a frame of `len` bytes (xdp_ok_fwd_dev), or null when it can. */
  refuse(ifindex: number, len: number): RedirectErrorReason | null;
  /** Put `frame` (the caller's to keep) on the wire of `ifindex`. */
  transmit(ifindex: number, frame: Uint8Array): void;
  /** A failed redirect, counted against the redirecting program. */
  error(reason: RedirectErrorReason): void;
}

interface QueuedCopy extends QueuedFrame { readonly port: DevmapPort }

/** What dev_map_bpf_prog_run does with a copy its devmap program returned `action` for. */
function onVerdict(c: QueuedCopy, action: number, cpu: number, _desc: number, frame: () => Uint8Array, block: CounterBlock): void {
  const verdict = devmapVerdict(action);
  if (verdict === 'transmit') {
    c.port.transmit(c.egressIfindex, frame());
  } else if (verdict === 'exception' && (action === XdpAction.TX || action === XdpAction.REDIRECT)) {
    // Valid actions elsewhere, invalid here (bpf_warn_invalid_xdp_action): the worker's tally did not
    // count them as exceptions.
    block.add(cpu, Counter.EXCEPTIONS, 1);
  }
}

export class DevmapDelivery {
  private readonly arena: Arena;
  private readonly queue: MapProgramQueue<QueuedCopy>;

  constructor(opts: MapProgramQueueOptions) {
    this.arena = Arena.attach(opts.memory);
    this.queue = new MapProgramQueue(opts, onVerdict);
  }

  /** Set by whoever owns program ids (the daemon's control plane); without it devmap programs are not found. */
  set programs(resolver: MapProgramResolver | null) { this.queue.programs = resolver; }

  /**
   * Deliver the redirected frame of descriptor `desc` received on CPU `cpu` if it went into a device map:
   * devices without a devmap program get it now, the others once the batch's delivery is over. False: not a
   * device-map redirect (nothing done). `frame` is the frame as it leaves; each device gets its own copy.
   */
  redirect(cpu: number, desc: number, frame: Uint8Array, port: DevmapPort): boolean {
    const r = readRedirect(this.arena.u32, desc);
    const targets = devmapTargets(this.arena, r, (ifindex) => port.refuse(ifindex, frame.length) === null);
    if (!targets) return false;
    const single = r.kind === RedirectKind.IFINDEX;
    for (const t of targets) {
      if (single) {
        const reason = port.refuse(t.ifindex, frame.length);
        if (reason) { port.error(reason); continue; }
      }
      if (t.prog === 0) { port.transmit(t.ifindex, frame.slice()); continue; }
      if (frame.length > MAX_LINEAR) { port.error('too_big'); continue; }
      this.queue.enqueue(cpu, {
        prog: t.prog, ifindex: t.ifindex, ingressIfindex: r.ingressIfindex, egressIfindex: t.ifindex,
        bytes: frame.slice(), metaLen: 0, port,
      });
    }
    return true;
  }

  /** Resolves once every copy queued so far went through its devmap program (and out, if passed). */
  settled(): Promise<void> { return this.queue.settled(); }

  /** Every devmap program's counters, per egress device and CPU, read from the arena. */
  counterRows(): MapProgramCounterRow[] { return this.queue.counterRows(); }
}
