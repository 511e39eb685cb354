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
 * The queue of a target CPU holds at most the slot's qsize frames until it is flushed (a microtask after the
 * synchronous delivery of a batch, as xdp_do_flush ends the NAPI poll); frames beyond it are dropped as the
 * full ptr_ring drops them, counted as `queue_full` redirect errors of the redirecting program. Frames are run
 * one worker batch per (cpumap program, receiving interface), counted in a counter block of that pair.
 * Limit: a multi-buffer frame cannot go through a cpumap program (counted as `too_big`).
 */
import { Arena } from '../vm/arena.js';
import { DESC_SIZE, Desc, FRAME_SLOT_SIZE, MAX_LINEAR, RedirectKind, XDP_PACKET_HEADROOM } from '../vm/arena-layout.js';
import { MapType } from '../ebpf/object-spec.js';
import { XdpAction } from '../ebpf/opcodes.js';
import { MapHdr } from '../vm/maps/map-header.js';
import { CpumapVal, cpumapProgramAt } from '../vm/maps/cpumap-value.js';
import { BATCH_SIZE, BATCH_SLOTS } from './batch-layout.js';
import { ACTION_LABELS, Counter, CounterBlock, REDIRECT_ERROR_REASONS, counterBlockSize, type RedirectErrorReason } from './counters.js';
import { readRedirect, type DevmapPool, type DevmapProgram, type DevmapProgramResolver } from './devmap-delivery.js';
import type { ArenaMemory, ProcessorEvent } from './frame-processor.js';

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

export interface CpumapDeliveryOptions {
  readonly memory: ArenaMemory;
  readonly cpus: number;
  readonly pool: DevmapPool;
  /** Arena bytes for a counter block (counters.ts) per (cpumap program, receiving interface). */
  readonly allocCounters: (size: number) => number;
  /** Where the cpumap programs' events go, labelled with the program. */
  readonly onEvent?: (e: ProcessorEvent & { readonly program: string }) => void;
}

/** Counters of one cpumap program for one receiving interface, per CPU (as Datapath.counters rows). */
export interface CpumapCounterRow {
  readonly ifindex: number;
  readonly program: string;
  readonly cpu: number;
  readonly packets: readonly number[];
  readonly bytes: readonly number[];
  readonly exceptions: number;
  readonly redirectErrors: readonly number[];
  readonly runSeconds: number;
}

interface QueuedFrame {
  readonly prog: number;
  readonly ingressIfindex: number;
  /** The metadata in front of the frame, then the frame. */
  readonly bytes: Uint8Array;
  readonly metaLen: number;
  readonly port: CpumapPort;
}

interface CounterEntry { readonly ifindex: number; readonly program: string; readonly block: CounterBlock }

export class CpumapDelivery {
  /** Set by whoever owns program ids (the daemon's control plane); without it cpumap programs are not found. */
  programs: DevmapProgramResolver | null = null;
  private readonly arena: Arena;
  private readonly queued = new Map<number, QueuedFrame[]>();
  private readonly flushing = new Set<Promise<void>>();
  private readonly prepared = new WeakMap<object, Promise<number>>();
  private readonly counters = new Map<string, CounterEntry>();

  constructor(private readonly opts: CpumapDeliveryOptions) {
    this.arena = Arena.attach(opts.memory);
  }

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
    let q = this.queued.get(t.cpu);
    if (!q) {
      q = [];
      this.queued.set(t.cpu, q);
      queueMicrotask(() => this.track(this.flush(t.cpu)));
    }
    if (q.length >= t.qsize) { port.error('queue_full'); return true; }
    const u32 = this.arena.u32;
    const data = u32[(desc + Desc.DATA) >>> 2]!;
    const meta = u32[(desc + Desc.DATA_META) >>> 2]!;
    const metaLen = meta !== 0 && meta < data ? data - meta : 0;
    const bytes = new Uint8Array(metaLen + frame.length);
    bytes.set(this.arena.u8.subarray(data - metaLen, data), 0);
    bytes.set(frame, metaLen);
    q.push({ prog: t.prog, ingressIfindex: readRedirect(u32, desc).ingressIfindex, bytes, metaLen, port });
    return true;
  }

  /** Resolves once every frame queued so far went through its cpumap program (and on, if passed). */
  async settled(): Promise<void> {
    while (this.queued.size > 0 || this.flushing.size > 0) {
      await Promise.resolve();
      await Promise.allSettled([...this.flushing]);
    }
  }

  private track(p: Promise<void>): void {
    this.flushing.add(p);
    // A failed worker batch loses its frames, as a kthread that cannot run would; nothing else to undo.
    void p.catch(() => undefined).finally(() => this.flushing.delete(p));
  }

  /** Run the cpumap programs over the frames queued for `cpu`, on `cpu`. */
  private async flush(cpu: number): Promise<void> {
    const q = this.queued.get(cpu);
    if (!q) return;
    this.queued.delete(cpu);
    const groups = new Map<string, QueuedFrame[]>();
    for (const f of q) {
      const k = `${f.prog}/${f.ingressIfindex}`;
      const g = groups.get(k);
      if (g) g.push(f); else groups.set(k, [f]);
    }
    for (const frames of groups.values()) {
      const { prog, ingressIfindex } = frames[0]!;
      const program = this.programs?.(prog);
      const key = program ? await this.prepare(program).catch(() => undefined) : undefined;
      if (!program || key === undefined) {
        for (const f of frames) f.port.error('no_target');
        continue;
      }
      const block = this.counterBlock(ingressIfindex, prog, program.label);
      for (let i = 0; i < frames.length; i += BATCH_SIZE) await this.runBatch(cpu, key, block, program.label, frames.slice(i, i + BATCH_SIZE));
    }
  }

  private prepare(program: DevmapProgram): Promise<number> {
    let p = this.prepared.get(program.token);
    if (!p) {
      p = program.prepare().then((recipe) => this.opts.pool.prepare(recipe));
      p.catch(() => this.prepared.delete(program.token));
      this.prepared.set(program.token, p);
    }
    return p;
  }

  private counterBlock(ifindex: number, prog: number, label: string): CounterBlock {
    const k = `${ifindex}/${prog}/${label}`;
    let e = this.counters.get(k);
    if (!e) {
      const block = new CounterBlock(this.opts.memory.buffer, this.opts.allocCounters(counterBlockSize(this.opts.cpus)), this.opts.cpus);
      block.clear();
      e = { ifindex, program: label, block };
      this.counters.set(k, e);
    }
    return e.block;
  }

  /** One worker batch of frames for one (program, receiving interface) on the target CPU. */
  private async runBatch(cpu: number, key: number, block: CounterBlock, label: string, frames: readonly QueuedFrame[]): Promise<void> {
    const pool = this.opts.pool;
    const addr = await pool.acquire(cpu);
    try {
      let u32 = new Uint32Array(this.opts.memory.buffer);
      const u8 = new Uint8Array(this.opts.memory.buffer);
      frames.forEach((f, i) => {
        const slot = addr + BATCH_SLOTS + i * FRAME_SLOT_SIZE;
        const data = slot + XDP_PACKET_HEADROOM;
        u8.set(f.bytes, data - f.metaLen);
        const d = (addr + i * DESC_SIZE) >>> 2;
        u32.fill(0, d, d + DESC_SIZE / 4);
        u32[d + (Desc.DATA >> 2)] = data;
        u32[d + (Desc.DATA_END >> 2)] = data + f.bytes.length - f.metaLen;
        u32[d + (Desc.DATA_META >> 2)] = data - f.metaLen;
        u32[d + (Desc.INGRESS_IFINDEX >> 2)] = f.ingressIfindex;
        u32[d + (Desc.SLOT >> 2)] = slot;
      });
      const events = await pool.run(cpu, addr, frames.length, [{ key, chainCallActions: 0, counterAddr: block.addr }], false);
      for (const { stage: _stage, ...e } of events) this.opts.onEvent?.({ ...e, program: label });
      u32 = new Uint32Array(this.opts.memory.buffer);
      const out = new Uint8Array(this.opts.memory.buffer);
      frames.forEach((f, i) => {
        const d = (addr + i * DESC_SIZE) >>> 2;
        // A faulting frame was counted as an exception by the worker, as were XDP_ABORTED and unknown values.
        if (u32[d + (Desc.ERROR >> 2)] !== 0) return;
        const action = u32[d + (Desc.ACTION >> 2)]!;
        const frame = (): Uint8Array => out.slice(u32[d + (Desc.DATA >> 2)]!, u32[d + (Desc.DATA_END >> 2)]!);
        switch (cpumapVerdict(action)) {
          case 'stack': f.port.toStack(frame()); break;
          case 'redirect': f.port.redirect(cpu, d << 2, frame(), block); break;
          case 'exception':
            // XDP_TX is valid elsewhere, invalid here (bpf_warn_invalid_xdp_action): the worker's tally did
            // not count it as an exception.
            if (action === XdpAction.TX) block.add(cpu, Counter.EXCEPTIONS, 1);
            break;
          case 'drop': break;
        }
      });
    } finally {
      pool.giveBack(cpu, addr);
    }
  }

  /** Every cpumap program's counters, per receiving interface and CPU, read from the arena. */
  counterRows(): CpumapCounterRow[] {
    const rows: CpumapCounterRow[] = [];
    for (const e of this.counters.values()) {
      for (let cpu = 0; cpu < this.opts.cpus; cpu++) {
        rows.push({
          ifindex: e.ifindex, program: e.program, cpu,
          packets: ACTION_LABELS.map((_, a) => e.block.read(cpu, Counter.PACKETS + a)),
          bytes: ACTION_LABELS.map((_, a) => e.block.read(cpu, Counter.BYTES + a)),
          exceptions: e.block.read(cpu, Counter.EXCEPTIONS),
          redirectErrors: REDIRECT_ERROR_REASONS.map((_, r) => e.block.read(cpu, Counter.REDIRECT_ERRORS + r)),
          runSeconds: e.block.read(cpu, Counter.RUN_NS) / 1e9,
        });
      }
    }
    return rows;
  }
}
