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
 * Frames for devmap programs are queued while the frames of a batch are delivered and run once that
 * synchronous delivery is over (a microtask: as the kernel's bulk queues are flushed by xdp_do_flush at the
 * end of the NAPI poll), one worker batch per (program, egress device), whose per-action counts land in a
 * counter block of that pair. Limits: the metadata in front of the frame is not
 * carried to the devmap program (data_meta = data), and a multi-buffer frame cannot go through a devmap
 * program (counted as `too_big`).
 */
import { Arena } from '../vm/arena.js';
import {
  BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, DESC_SIZE, Desc, FRAME_SLOT_SIZE, MAX_LINEAR, RedirectKind, XDP_PACKET_HEADROOM,
} from '../vm/arena-layout.js';
import { MapType } from '../ebpf/object-spec.js';
import { XdpAction } from '../ebpf/opcodes.js';
import { MapHdr } from '../vm/maps/map-header.js';
import { openMap } from '../vm/maps/registry.js';
import { DevmapVal, devmapProgramAt } from '../vm/maps/devmap-value.js';
import { BATCH_SIZE, BATCH_SLOTS, type StageEvent, type StageRef } from './batch-layout.js';
import { ACTION_LABELS, Counter, CounterBlock, counterBlockSize, type RedirectErrorReason } from './counters.js';
import type { ArenaMemory, ProcessorEvent, ProcessorRecipe } from './frame-processor.js';

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

/** A loaded devmap program as the daemon names it (devmap-value.ts): a stable token, a label, a recipe. */
export interface DevmapProgram {
  /** The same object for as long as the program stays loaded (prepared processors are cached by it). */
  readonly token: object;
  /** Metrics label. */
  readonly label: string;
  prepare(): Promise<ProcessorRecipe>;
}

/** The program an id in a devmap value names, or undefined when none is loaded (the frame is then dropped). */
export type DevmapProgramResolver = (id: number) => DevmapProgram | undefined;

/** The per-CPU workers as delivery uses them (cpu-pool.ts CpuPool). */
export interface DevmapPool {
  prepare(recipe: ProcessorRecipe): Promise<number>;
  acquire(cpu: number): Promise<number> | number;
  giveBack(cpu: number, addr: number): void;
  run(cpu: number, addr: number, n: number, stages: readonly StageRef[], clocked: boolean): Promise<readonly StageEvent[]>;
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

export interface DevmapDeliveryOptions {
  readonly memory: ArenaMemory;
  readonly cpus: number;
  readonly pool: DevmapPool;
  /** Arena bytes for a counter block (counters.ts) per (devmap program, egress device). */
  readonly allocCounters: (size: number) => number;
  /** Where the devmap programs' events (trace_printk, ring buffer...) go, labelled with the program. */
  readonly onEvent?: (e: ProcessorEvent & { readonly program: string }) => void;
}

/** Counters of one devmap program on one egress device, per CPU (as Datapath.counters rows). */
export interface DevmapCounterRow {
  readonly ifindex: number;
  readonly program: string;
  readonly cpu: number;
  readonly packets: readonly number[];
  readonly bytes: readonly number[];
  readonly exceptions: number;
  readonly runSeconds: number;
}

interface QueuedCopy {
  readonly target: DevmapTarget;
  readonly ingressIfindex: number;
  readonly frame: Uint8Array;
  readonly port: DevmapPort;
}

interface CounterEntry { readonly ifindex: number; readonly program: string; readonly block: CounterBlock }

export class DevmapDelivery {
  /** Set by whoever owns program ids (the daemon's control plane); without it devmap programs are not found. */
  programs: DevmapProgramResolver | null = null;
  private readonly arena: Arena;
  private readonly queued = new Map<number, QueuedCopy[]>();
  private readonly flushing = new Set<Promise<void>>();
  private readonly prepared = new WeakMap<object, Promise<number>>();
  private readonly counters = new Map<string, CounterEntry>();

  constructor(private readonly opts: DevmapDeliveryOptions) {
    this.arena = Arena.attach(opts.memory);
  }

  /**
   * Deliver the redirected frame of descriptor `desc` received on CPU `cpu` if it went into a device map:
   * devices without a devmap program get it now, the others at `flush(cpu)`. False: not a device-map
   * redirect (nothing done). `frame` is the frame as it leaves; each device gets its own copy.
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
      let q = this.queued.get(cpu);
      if (!q) {
        q = [];
        this.queued.set(cpu, q);
        queueMicrotask(() => this.track(this.flush(cpu)));
      }
      q.push({ target: t, ingressIfindex: r.ingressIfindex, frame: frame.slice(), port });
    }
    return true;
  }

  /** Resolves once every copy queued so far went through its devmap program (and out, if passed). */
  async settled(): Promise<void> {
    // Queued copies have their flush scheduled as a microtask: let it start, then wait for every flush.
    while (this.queued.size > 0 || this.flushing.size > 0) {
      await Promise.resolve();
      await Promise.allSettled([...this.flushing]);
    }
  }

  private track(p: Promise<void>): void {
    this.flushing.add(p);
    // A failed worker batch loses its copies, as a failed transmit would; nothing else to undo.
    void p.catch(() => undefined).finally(() => this.flushing.delete(p));
  }

  /** Run the devmap programs over the copies queued on `cpu` and transmit what they pass. */
  private async flush(cpu: number): Promise<void> {
    const q = this.queued.get(cpu);
    if (!q) return;
    this.queued.delete(cpu);
    const groups = new Map<string, QueuedCopy[]>();
    for (const c of q) {
      const k = `${c.target.prog}/${c.target.ifindex}`;
      const g = groups.get(k);
      if (g) g.push(c); else groups.set(k, [c]);
    }
    for (const copies of groups.values()) {
      const { prog, ifindex } = copies[0]!.target;
      const program = this.programs?.(prog);
      const key = program ? await this.prepare(program).catch(() => undefined) : undefined;
      if (!program || key === undefined) {
        for (const c of copies) c.port.error('no_target');
        continue;
      }
      const block = this.counterBlock(ifindex, prog, program.label);
      for (let i = 0; i < copies.length; i += BATCH_SIZE) await this.runBatch(cpu, key, block, program.label, copies.slice(i, i + BATCH_SIZE));
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
      const size = counterBlockSize(this.opts.cpus);
      const block = new CounterBlock(this.opts.memory.buffer, this.opts.allocCounters(size), this.opts.cpus);
      block.clear();
      e = { ifindex, program: label, block };
      this.counters.set(k, e);
    }
    return e.block;
  }

  /** One worker batch of copies for one (program, egress device) on `cpu`. */
  private async runBatch(cpu: number, key: number, block: CounterBlock, label: string, copies: readonly QueuedCopy[]): Promise<void> {
    const pool = this.opts.pool;
    const addr = await pool.acquire(cpu);
    try {
      let u32 = new Uint32Array(this.opts.memory.buffer);
      const u8 = new Uint8Array(this.opts.memory.buffer);
      copies.forEach((c, i) => {
        const slot = addr + BATCH_SLOTS + i * FRAME_SLOT_SIZE;
        const data = slot + XDP_PACKET_HEADROOM;
        u8.set(c.frame, data);
        const d = (addr + i * DESC_SIZE) >>> 2;
        u32.fill(0, d, d + DESC_SIZE / 4);
        u32[d + (Desc.DATA >> 2)] = data;
        u32[d + (Desc.DATA_END >> 2)] = data + c.frame.length;
        u32[d + (Desc.DATA_META >> 2)] = data;
        u32[d + (Desc.INGRESS_IFINDEX >> 2)] = c.ingressIfindex;
        u32[d + (Desc.EGRESS_IFINDEX >> 2)] = c.target.ifindex;
        u32[d + (Desc.SLOT >> 2)] = slot;
      });
      const events = await pool.run(cpu, addr, copies.length, [{ key, chainCallActions: 0, counterAddr: block.addr }], false);
      for (const { stage: _stage, ...e } of events) this.opts.onEvent?.({ ...e, program: label });
      u32 = new Uint32Array(this.opts.memory.buffer);
      const out = new Uint8Array(this.opts.memory.buffer);
      copies.forEach((c, i) => {
        const d = (addr + i * DESC_SIZE) >>> 2;
        // A faulting frame was counted as an exception by the worker, as were XDP_ABORTED and unknown values.
        if (u32[d + (Desc.ERROR >> 2)] !== 0) return;
        const action = u32[d + (Desc.ACTION >> 2)]!;
        const verdict = devmapVerdict(action);
        if (verdict === 'transmit') {
          c.port.transmit(c.target.ifindex, out.slice(u32[d + (Desc.DATA >> 2)]!, u32[d + (Desc.DATA_END >> 2)]!));
        } else if (verdict === 'exception' && (action === XdpAction.TX || action === XdpAction.REDIRECT)) {
          // Valid actions elsewhere, invalid here (bpf_warn_invalid_xdp_action): the worker's tally did not
          // count them as exceptions.
          block.add(cpu, Counter.EXCEPTIONS, 1);
        }
      });
    } finally {
      pool.giveBack(cpu, addr);
    }
  }

  /** Every devmap program's counters, per egress device and CPU, read from the arena. */
  counterRows(): DevmapCounterRow[] {
    const rows: DevmapCounterRow[] = [];
    for (const e of this.counters.values()) {
      for (let cpu = 0; cpu < this.opts.cpus; cpu++) {
        rows.push({
          ifindex: e.ifindex, program: e.program, cpu,
          packets: ACTION_LABELS.map((_, a) => e.block.read(cpu, Counter.PACKETS + a)),
          bytes: ACTION_LABELS.map((_, a) => e.block.read(cpu, Counter.BYTES + a)),
          exceptions: e.block.read(cpu, Counter.EXCEPTIONS),
          runSeconds: e.block.read(cpu, Counter.RUN_NS) / 1e9,
        });
      }
    }
    return rows;
  }
}
