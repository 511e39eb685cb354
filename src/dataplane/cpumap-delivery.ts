/**
 * Delivery of frames a program redirected into a CPUMAP (design.md §4: "CPUMAP moves the frame to another
 * worker"), as the kernel's cpu_map_enqueue → bq_flush_to_queue → cpu_map_kthread_run (kernel/bpf/cpumap.c):
 *
 *  - the slot the helper found (Desc.REDIRECT_TARGET = the CPU, Desc.REDIRECT_VALUE = its
 *    struct bpf_cpumap_val, cpumap-value.ts) names the target CPU, its queue size and its cpumap program;
 *  - a slot without a program: the frame goes to the stack side of the receiving interface (the kthread
 *    builds an skb and calls the stack on the target CPU; here the stack side is the interface's PASS side);
 *  - a slot with a program (the daemon's program id, the object's SEC("xdp/cpumap") program): the frame — its
 *    own copy, with the metadata in front of it (xdpf->metasize, kept by xdp_convert_frame_to_buff) — is
 *    queued for the target CPU and run there by that CPU's worker (cpu_map_bpf_prog_run_xdp), so per-CPU
 *    maps and bpf_get_smp_processor_id see the target CPU; ingress_ifindex is the receiving device,
 *    rx_queue_index 0 (the kernel leaves xdp_rxq_info.queue_index unset) and egress_ifindex 0. Its verdict:
 *    XDP_PASS sends what it left in [data, data_end) to the stack side; XDP_DROP frees; XDP_REDIRECT goes
 *    through xdp_do_redirect from the target CPU (devmap, bpf_redirect, another CPUMAP...); XDP_ABORTED, TX
 *    and unknown values (bpf_warn_invalid_xdp_action) count an exception and free.
 *
 * The queue of a target CPU holds at most the slot's qsize frames until it is flushed (map-program-queue.ts:
 * once the synchronous delivery of a batch is over, as xdp_do_flush ends the NAPI poll); frames beyond it are
 * dropped as the full ptr_ring drops them, counted as `queue_full` redirect errors of the redirecting program.
 * Frames are run one worker batch per (cpumap program, receiving interface), counted in a counter block of
 * that pair. Limit: a multi-buffer frame cannot go through a cpumap program (counted as `too_big`).
 */
import { Arena } from '../vm/arena.js';
import { Desc, MAX_LINEAR, RedirectKind } from '../vm/arena-layout.js';
import { MapType } from '../ebpf/object-spec.js';
import { XdpAction } from '../ebpf/opcodes.js';
import { MapHdr } from '../vm/maps/map-header.js';
import { CpumapVal, cpumapProgramAt } from '../vm/maps/cpumap-value.js';
import { Counter, type CounterBlock, type RedirectErrorReason } from './counters.js';
import { readRedirect } from './devmap-delivery.js';
import {
  MapProgramQueue, type MapProgramCounterRow, type MapProgramQueueOptions, type MapProgramResolver, type QueuedFrame,
} from './map-program-queue.js';

/** The CPU a CPUMAP redirect goes to, its queue size and the cpumap program to run there (0: none). */
export interface CpumapTarget {
  readonly cpu: number;
  readonly qsize: number;
  readonly prog: number;
}

/** The target of the CPUMAP redirect of descriptor `desc`, or undefined when it is not one. */
export function cpumapTarget(arena: Arena, desc: number): CpumapTarget | undefined {
  const r = readRedirect(arena.u32, desc);
  if (r.kind !== RedirectKind.CPU || r.map === 0 || r.value === 0) return undefined;
  const u32 = arena.u32;
  if (u32[(r.map + MapHdr.TYPE) >>> 2] !== MapType.CPUMAP) return undefined;
  const valueSize = u32[(r.map + MapHdr.VALUE_SIZE) >>> 2]!;
  return { cpu: r.target, qsize: u32[(r.value + CpumapVal.QSIZE) >>> 2]!, prog: cpumapProgramAt(u32, r.value, valueSize) };
}

/** What cpu_map_bpf_prog_run_xdp does with a cpumap program's return value. */
export type CpumapVerdict = 'stack' | 'drop' | 'redirect' | 'exception';

export function cpumapVerdict(action: number): CpumapVerdict {
  switch (action) {
    case XdpAction.PASS: return 'stack';
    case XdpAction.DROP: return 'drop';
    case XdpAction.REDIRECT: return 'redirect';
    default: return 'exception';
  }
}

/** How the caller moves frames on from the target CPU. */
export interface CpumapPort {
  /** The stack side of the receiving interface gets `frame` (the caller's to keep). */
  toStack(frame: Uint8Array): void;
  /**
   * A cpumap program's XDP_REDIRECT on `cpu`: the descriptor at `desc` holds the redirect it recorded,
   * `frame` is the frame as it leaves; redirect errors go to the cpumap program's counters `block`.
   */
  redirect(cpu: number, desc: number, frame: Uint8Array, block: CounterBlock): void;
  /** A failed redirect into the CPUMAP, counted against the redirecting program. */
  error(reason: RedirectErrorReason): void;
}

interface QueuedForCpu extends QueuedFrame { readonly port: CpumapPort }

/** What cpu_map_bpf_prog_run_xdp does with a frame its cpumap program returned `action` for on `cpu`. */
function onVerdict(f: QueuedForCpu, action: number, cpu: number, desc: number, frame: () => Uint8Array, block: CounterBlock): void {
  switch (cpumapVerdict(action)) {
    case 'stack': f.port.toStack(frame()); break;
    case 'redirect': f.port.redirect(cpu, desc, frame(), block); break;
    case 'exception':
      // XDP_TX is valid elsewhere, invalid here (bpf_warn_invalid_xdp_action): the worker's tally did
      // not count it as an exception.
      if (action === XdpAction.TX) block.add(cpu, Counter.EXCEPTIONS, 1);
      break;
    case 'drop': break;
  }
}

export class CpumapDelivery {
  private readonly arena: Arena;
  private readonly queue: MapProgramQueue<QueuedForCpu>;

  constructor(private readonly opts: MapProgramQueueOptions) {
    this.arena = Arena.attach(opts.memory);
    this.queue = new MapProgramQueue(opts, onVerdict);
  }

  /** Set by whoever owns program ids (the daemon's control plane); without it cpumap programs are not found. */
  set programs(resolver: MapProgramResolver | null) { this.queue.programs = resolver; }

  /**
   * Deliver the redirected frame of descriptor `desc` if it went into a CPUMAP: to the stack side now when
   * its slot has no program, else to the target CPU's queue. False: not a CPUMAP redirect (nothing done).
   */
  redirect(desc: number, frame: Uint8Array, port: CpumapPort): boolean {
    const t = cpumapTarget(this.arena, desc);
    if (!t) return false;
    if (t.cpu >= this.opts.cpus) { port.error('no_target'); return true; }
    if (t.prog === 0) { port.toStack(frame.slice()); return true; }
    if (frame.length > MAX_LINEAR) { port.error('too_big'); return true; }
    if (this.queue.queuedOn(t.cpu) >= t.qsize) { port.error('queue_full'); return true; }
    const u32 = this.arena.u32;
    const data = u32[(desc + Desc.DATA) >>> 2]!;
    const meta = u32[(desc + Desc.DATA_META) >>> 2]!;
    const metaLen = meta !== 0 && meta < data ? data - meta : 0;
    const bytes = new Uint8Array(metaLen + frame.length);
    bytes.set(this.arena.u8.subarray(data - metaLen, data), 0);
    bytes.set(frame, metaLen);
    const ingressIfindex = readRedirect(u32, desc).ingressIfindex;
    // Counted per receiving interface; egress_ifindex stays 0 (cpu_map_bpf_prog_run_xdp sets no txq).
    this.queue.enqueue(t.cpu, { prog: t.prog, ifindex: ingressIfindex, ingressIfindex, egressIfindex: 0, bytes, metaLen, port });
    return true;
  }

  /** Resolves once every frame queued so far went through its cpumap program (and on, if passed). */
  settled(): Promise<void> { return this.queue.settled(); }

  /** Every cpumap program's counters, per receiving interface and CPU, read from the arena. */
  counterRows(): MapProgramCounterRow[] { return this.queue.counterRows(); }
}
