/**
 * The data plane: interfaces, attachments, per-CPU workers and what happens to a frame after its program
 * returned (design.md §4). Frames enter through `submit` (replays, veth peers, VXLAN sockets), are spread over
 * CPUs by RSS, run in batches on worker threads, and are delivered by action on the main thread:
 *
 *   PASS     → the interface's stack side (counted, optionally captured)
 *   DROP     → freed
 *   TX       → out of the same interface
 *   REDIRECT → out of the ifindex the program named (bpf_redirect); DEVMAP / DEVMAP_HASH targets, broadcasts
 *              and devmap programs as devmap-delivery.ts does; errors counted by reason;
 *              a CPUMAP slot → the target CPU's worker and its cpumap program (cpumap-delivery.ts), then
 *              this interface's stack side;
 *              an XSKMAP slot → the consumers attached to that interface queue (attachXsk), else dropped
 *   ABORTED, unknown, engine faults → dropped; the worker counted an exception
 *
 * Attach/replace/detach swap the interface's attachment between two batches: each batch runs entirely
 * with the attachment that was current when it was filled, so no frame is lost or run twice.
 *
 * A loaded capture replayed as fast as possible takes another way in (`replayFromMemory`, replay-ring.ts):
 * its frames are placed into per-CPU rings once and every worker replays its ring on its own, switching
 * attachments at its own batch boundaries; only frames whose action needs delivery come back here.
 */
import { Desc, DESC_SIZE, FRAME_SLOT_SIZE, MAX_LINEAR, RedirectKind } from '../vm/arena-layout.js';
import { XdpAction } from '../ebpf/opcodes.js';
import { BATCH_FINAL_STAGE, BATCH_SIZE, BATCH_SLOTS, BATCH_TS, type StageRef } from './batch-layout.js';
import { CounterBlock, Counter, ACTION_LABELS, REDIRECT_ERROR_REASONS, counterBlockSize, type RedirectErrorReason } from './counters.js';
import { CpuPool } from './cpu-pool.js';
import { DevmapDelivery, type DevmapPort } from './devmap-delivery.js';
import { CpumapDelivery, type CpumapPort } from './cpumap-delivery.js';
import { queueForHash, rssHash } from './flow-hash.js';
import { describeRxFrame, outputFrame, placeFrags, type CaptureHeap } from './frame-frags.js';
import type { ArenaMemory, ProcessorEvent, ProcessorRecipe } from './frame-processor.js';
import { NetInterface, type InterfaceSpec } from './interfaces.js';
import { RegionAllocator } from './region-allocator.js';
import { ReplayJob, type JobHost, type JobOptions } from './replay-job.js';
import { parseHostPort, VxlanEndpoint } from './vxlan.js';

/** A frame entering an interface. `data` may be a view into the arena (a loaded capture) or any bytes. */
export interface RxFrame {
  readonly data: Uint8Array;
  /** RSS hash (flow-hash.ts); computed from `data` when absent. */
  readonly hash?: number;
  /** Capture timestamp, ns since the epoch (the virtual clock under `clock: capture`). */
  readonly tsNs: bigint;
}

export interface StageSpec {
  /** Metrics label: the program's name. */
  readonly program: string;
  readonly recipe: ProcessorRecipe;
  /** libxdp chain_call_actions bit mask (1 << XDP_PASS by default in libxdp); ignored on the last stage. */
  readonly chainCallActions: number;
}

/** Per (interface, program) counter block, shared by successive attachments that run the same program. */
interface CounterSlot { readonly block: CounterBlock; refs: number }

interface Stage { readonly program: string; readonly key: number; readonly chainCallActions: number; readonly slot: CounterSlot }

class Attachment {
  inflight = 0;
  retired = false;
  private markReleased!: () => void;
  /**
   * Resolves once no CPU can run this attachment any more (its programs and counter slots released): only
   * then may the control plane free what the programs write, e.g. the maps of a deleted object.
   */
  readonly released = new Promise<void>((resolve) => { this.markReleased = resolve; });
  constructor(readonly stages: readonly Stage[]) {}
  release(): void { this.markReleased(); }
  get refs(): readonly StageRef[] {
    return this.stages.map((s) => ({ key: s.key, chainCallActions: s.chainCallActions, counterAddr: s.slot.block.addr }));
  }
}

export class InterfaceExistsError extends Error {
  constructor(readonly iface: string) { super(`interface '${iface}' already exists`); this.name = 'InterfaceExistsError'; }
}
export class NoSuchInterfaceError extends Error {
  constructor(readonly iface: string) { super(`no interface '${iface}'`); this.name = 'NoSuchInterfaceError'; }
}

/** One row of the counters a scrape reads: straight from the arena, per CPU. */
export interface CounterRow {
  readonly interface: string;
  readonly program: string;
  readonly cpu: number;
  readonly packets: readonly number[];
  readonly bytes: readonly number[];
  readonly exceptions: number;
  readonly redirectErrors: readonly number[];
  readonly runSeconds: number;
}

/** A frame an XSKMAP redirect delivered to a consumer (AF_XDP's RX ring, as the API exposes it). */
export interface XskFrame {
  readonly queue: number;
  readonly cpu: number;
  readonly tsNs: bigint;
  /** The frame's own copy: the arena slot is reused once its batch is delivered. */
  readonly data: Uint8Array;
}

export type XskConsumer = (frame: XskFrame) => void;

/** A capture copied into the arena once; replays copy from here into frame slots. */
export interface ArenaCapture {
  readonly frames: readonly RxFrame[];
  release(): void;
}

export interface DatapathOptions {
  readonly memory: ArenaMemory;
  /** The arena range the data plane may use for batch buffers, counters and loaded captures. */
  readonly regionBase: number;
  readonly regionSize: number;
  readonly cpus: number;
  /** Frames one interface may have queued towards CPUs before RX drops (the RX ring size). */
  readonly rxBacklog?: number;
  /** Where loaded captures live (the arena's heap); the data-plane region by default. */
  readonly captureHeap?: CaptureHeap;
}

export type { CaptureHeap } from './frame-frags.js';

export class Datapath {
  readonly cpus: number;
  private readonly memory: ArenaMemory;
  private readonly region: RegionAllocator;
  private readonly pool: CpuPool;
  private readonly byName = new Map<string, NetInterface>();
  private readonly byIndex = new Map<number, NetInterface>();
  private readonly attachments = new Map<NetInterface, Attachment>();
  private readonly counterSlots = new Map<string, CounterSlot>();
  private readonly rxBacklog: number;
  private readonly captureHeap: CaptureHeap;
  private nextIfindex = 1;
  /** Fragment tables and pages of the multi-buffer frames in each batch buffer in flight, freed on delivery. */
  private readonly fragAllocs = new Map<number, number[]>();
  /** Frames that arrived one at a time (veth peers, VXLAN datagrams), gathered per interface until the next turn. */
  private readonly arriving = new Map<NetInterface, RxFrame[]>();
  private flushScheduled = false;
  /** Replay-from-memory jobs running on each interface (replay-ring.ts). */
  private readonly jobs = new Map<NetInterface, Set<ReplayJob<Attachment>>>();
  /** Socket-like consumers of XSKMAP redirects, by `ifindex/queue` (the XSKMAP key the program used). */
  private readonly xskConsumers = new Map<string, Set<XskConsumer>>();
  /** DEVMAP / DEVMAP_HASH delivery: broadcasts and devmap programs (its `programs` resolver is the daemon's). */
  readonly devmap: DevmapDelivery;
  /** CPUMAP delivery: cpumap programs on the target CPU's worker (its `programs` resolver is the daemon's). */
  readonly cpumap: CpumapDelivery;
  /** Where program events go (the daemon's SSE bus). */
  onEvent: ((e: ProcessorEvent & { readonly program: string }) => void) | null = null;

  constructor(opts: DatapathOptions) {
    this.memory = opts.memory;
    this.cpus = opts.cpus;
    this.rxBacklog = opts.rxBacklog ?? 8192;
    this.region = new RegionAllocator(opts.regionBase, opts.regionSize);
    this.pool = new CpuPool(opts.memory, opts.cpus, this.region);
    this.devmap = new DevmapDelivery({
      memory: opts.memory, cpus: opts.cpus, pool: this.pool, allocCounters: (size) => this.region.alloc(size), onEvent: (e) => this.onEvent?.(e),
    });
    this.cpumap = new CpumapDelivery({
      memory: opts.memory, cpus: opts.cpus, pool: this.pool, allocCounters: (size) => this.region.alloc(size), onEvent: (e) => this.onEvent?.(e),
    });
    this.captureHeap = opts.captureHeap ?? { alloc: (size) => this.region.alloc(size), free: (addr) => this.region.release(addr) };
  }

  // ── interfaces ────────────────────────────────────────────────────────────────────────────────────

  get interfaces(): readonly NetInterface[] { return [...this.byIndex.values()]; }
  interface(name: string): NetInterface | undefined { return this.byName.get(name); }
  interfaceByIndex(ifindex: number): NetInterface | undefined { return this.byIndex.get(ifindex); }
  attachedPrograms(iface: NetInterface): readonly string[] {
    return this.attachments.get(iface)?.stages.map((s) => s.program) ?? [];
  }

  /** Create an interface (a veth spec creates both ends). `ifindex` restores a persisted index. */
  async addInterface(spec: InterfaceSpec, ifindex?: number, peerIfindex?: number): Promise<NetInterface[]> {
    const names = spec.kind === 'veth' ? [spec.name, spec.peer] : [spec.name];
    for (const n of names) if (this.byName.has(n)) throw new InterfaceExistsError(n);
    if (spec.kind === 'veth' && spec.peer === spec.name) throw new InterfaceExistsError(spec.peer);
    let vxlan: VxlanEndpoint | null = null;
    const index = ifindex ?? this.nextIfindex;
    if (spec.kind === 'vxlan') {
      vxlan = await VxlanEndpoint.open(spec.vni, parseHostPort(spec.listen), parseHostPort(spec.remote),
        (frame) => { const i = this.byIndex.get(index); if (i) this.receive(i, frame, process.hrtime.bigint()); });
    }
    const iface = this.register(new NetInterface(index, spec));
    iface.vxlan = vxlan;
    if (spec.kind !== 'veth') return [iface];
    const peer = this.register(new NetInterface(peerIfindex ?? this.nextIfindex, { name: spec.peer, kind: 'veth', peer: spec.name }));
    iface.peer = peer;
    peer.peer = iface;
    return [iface, peer];
  }

  private register(iface: NetInterface): NetInterface {
    if (this.byIndex.has(iface.ifindex)) throw new InterfaceExistsError(`ifindex ${iface.ifindex}`);
    this.byName.set(iface.name, iface);
    this.byIndex.set(iface.ifindex, iface);
    this.nextIfindex = Math.max(this.nextIfindex, iface.ifindex + 1);
    return iface;
  }

  /**
   * Attach a consumer to queue `queue` of interface `name`: XSKMAP redirects of frames received there to slot
   * `queue` reach it (as an AF_XDP socket bound to that queue would receive them). Returns the detach.
   */
  attachXsk(name: string, queue: number, consumer: XskConsumer): () => void {
    const iface = this.byName.get(name);
    if (!iface) throw new NoSuchInterfaceError(name);
    const key = `${iface.ifindex}/${queue}`;
    const set = this.xskConsumers.get(key) ?? new Set<XskConsumer>();
    this.xskConsumers.set(key, set);
    set.add(consumer);
    return () => {
      set.delete(consumer);
      if (set.size === 0 && this.xskConsumers.get(key) === set) this.xskConsumers.delete(key);
    };
  }

  /** Remove an interface (and its veth peer, as Linux does), detaching what runs on it. */
  async removeInterface(name: string): Promise<NetInterface[]> {
    const iface = this.byName.get(name);
    if (!iface) throw new NoSuchInterfaceError(name);
    const gone = iface.peer ? [iface, iface.peer] : [iface];
    for (const i of gone) {
      i.up = false;
      await Promise.allSettled([...this.jobs.get(i) ?? []].map((j) => j.stop()));
      await this.detach(i.name);
      this.byName.delete(i.name);
      this.byIndex.delete(i.ifindex);
      await i.vxlan?.close();
      for (const key of [...this.xskConsumers.keys()]) if (key.startsWith(`${i.ifindex}/`)) this.xskConsumers.delete(key);
      i.passSink?.close?.();
      i.txSink?.close?.();
    }
    return gone;
  }

  // ── attachments ───────────────────────────────────────────────────────────────────────────────────

  /**
   * Replace the interface's whole attachment atomically: the new stages are prepared on every CPU first,
   * then swapped in between two batches; the old attachment is released once its in-flight batches ran.
   */
  async attach(name: string, specs: readonly StageSpec[]): Promise<void> {
    const iface = this.byName.get(name);
    if (!iface) throw new NoSuchInterfaceError(name);
    const keys: number[] = [];
    try {
      for (const s of specs) keys.push(await this.pool.prepare(s.recipe));
    } catch (err) {
      for (const k of keys) this.pool.release(k);
      throw err;
    }
    if (!this.byName.has(name)) {
      for (const k of keys) this.pool.release(k);
      throw new NoSuchInterfaceError(name);
    }
    const stages = specs.map((s, i) => ({
      program: s.program, key: keys[i]!, chainCallActions: s.chainCallActions, slot: this.counterSlot(iface, s.program),
    }));
    const old = this.attachments.get(iface);
    const att = new Attachment(stages);
    this.attachments.set(iface, att);
    for (const job of this.jobs.get(iface) ?? []) job.restage(att);
    if (old) {
      this.retire(iface, old);
      await old.released;
    }
  }

  async detach(name: string): Promise<boolean> {
    const iface = this.byName.get(name);
    if (!iface) throw new NoSuchInterfaceError(name);
    const old = this.attachments.get(iface);
    if (!old) return false;
    this.attachments.delete(iface);
    for (const job of this.jobs.get(iface) ?? []) job.restage(null);
    this.retire(iface, old);
    await old.released;
    return true;
  }

  private counterSlot(iface: NetInterface, program: string): CounterSlot {
    const id = `${iface.ifindex}\0${program}`;
    let slot = this.counterSlots.get(id);
    if (!slot) {
      const size = counterBlockSize(this.cpus);
      const block = new CounterBlock(this.memory.buffer, this.region.alloc(size), this.cpus);
      block.clear();
      slot = { block, refs: 0 };
      this.counterSlots.set(id, slot);
    }
    slot.refs++;
    return slot;
  }

  private retire(iface: NetInterface, att: Attachment): void {
    att.retired = true;
    if (att.inflight > 0) return;
    for (const s of att.stages) {
      this.pool.release(s.key);
      if (--s.slot.refs === 0) {
        this.counterSlots.delete(`${iface.ifindex}\0${s.program}`);
        this.region.release(s.slot.block.addr);
      }
    }
    att.release();
  }

  // ── frames ────────────────────────────────────────────────────────────────────────────────────────

  /** Copy a capture into the arena once; the returned frames are views of it. */
  loadCapture(frames: ReadonlyArray<{ readonly data: Uint8Array; readonly tsNs: bigint }>): ArenaCapture {
    const total = frames.reduce((s, f) => s + f.data.length, 0);
    const addr = this.captureHeap.alloc(Math.max(total, 1), 'capture');
    const u8 = new Uint8Array(this.memory.buffer);
    let off = addr;
    const views: RxFrame[] = frames.map((f) => {
      u8.set(f.data, off);
      const data = new Uint8Array(this.memory.buffer, off, f.data.length);
      off += f.data.length;
      return { data, hash: rssHash(data), tsNs: f.tsNs };
    });
    let released = false;
    return { frames: views, release: () => { if (!released) { released = true; this.captureHeap.free(addr); } } };
  }

  /**
   * Receive frames on an interface. `posted` resolves once every frame sits in a batch handed to a CPU (the
   * caller may then submit more: backpressure comes from the per-CPU rings); `done` once all were delivered.
   */
  submit(iface: NetInterface, frames: readonly RxFrame[], clocked = false): { posted: Promise<void>; done: Promise<void> } {
    const done: Promise<void>[] = [];
    const posted = this.post(iface, frames, clocked, done);
    const all = posted.then(() => Promise.all(done)).then(() => undefined);
    // A caller awaiting only `posted` must not leave the same failure unhandled on `done`.
    all.catch(() => undefined);
    return { posted, done: all };
  }

  /**
   * Receive one frame that arrived on its own (a veth peer's TX, a VXLAN datagram): it is copied and gathered
   * with the others arriving in the same event-loop turn, which are then submitted together, so they fill
   * batches instead of costing one batch (and one worker message) each, as NAPI polls a NIC's RX ring by
   * budget rather than per interrupt. Frames waiting here count against the RX backlog.
   */
  private receive(iface: NetInterface, data: Uint8Array, tsNs: bigint): void {
    let q = this.arriving.get(iface);
    if (!q) { q = []; this.arriving.set(iface, q); }
    if (iface.backlog + q.length >= this.rxBacklog) {
      iface.stats.rxPackets++;
      iface.stats.rxBytes += data.length;
      iface.stats.rxDropped++;
      return;
    }
    q.push({ data: data.slice(), tsNs });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushArriving());
    }
  }

  private flushArriving(): void {
    this.flushScheduled = false;
    const all = [...this.arriving];
    this.arriving.clear();
    for (const [iface, frames] of all) void this.submit(iface, frames).done.catch(() => undefined);
  }

  /** Frames gathered by `receive` not yet submitted to `iface`. */
  private arrivingCount(iface: NetInterface): number { return this.arriving.get(iface)?.length ?? 0; }

  private async post(iface: NetInterface, frames: readonly RxFrame[], clocked: boolean, done: Promise<void>[]): Promise<void> {
    const perCpu: RxFrame[][] = Array.from({ length: this.cpus }, () => []);
    for (const f of frames) {
      iface.stats.rxPackets++;
      iface.stats.rxBytes += f.data.length;
      if (!iface.up || iface.backlog >= this.rxBacklog) { iface.stats.rxDropped++; continue; }
      const cpu = queueForHash(f.hash ?? rssHash(f.data), this.cpus);
      const q = perCpu[cpu]!;
      q.push(f);
      iface.backlog++;
      if (q.length === BATCH_SIZE) { perCpu[cpu] = []; done.push((await this.runBatch(iface, cpu, q, clocked)).done); }
    }
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const q = perCpu[cpu]!;
      if (q.length > 0) done.push((await this.runBatch(iface, cpu, q, clocked)).done);
    }
  }

  /** Fill a batch buffer of `cpu` and hand it over; resolves (with its completion) once handed over. */
  private async runBatch(iface: NetInterface, cpu: number, frames: readonly RxFrame[], clocked: boolean): Promise<{ done: Promise<void> }> {
    const addr = await this.pool.acquire(cpu);
    // The batch boundary: whatever is attached now runs this whole batch.
    const att = this.attachments.get(iface);
    const buf = this.memory.buffer;
    let u8 = new Uint8Array(buf);
    let u32 = new Uint32Array(buf);
    const ts = new BigInt64Array(buf, addr + BATCH_TS, BATCH_SIZE);
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      const slot = addr + BATCH_SLOTS + i * FRAME_SLOT_SIZE;
      const linear = Math.min(f.data.length, MAX_LINEAR);
      const d = (addr + i * DESC_SIZE) >>> 2;
      u32.fill(0, d, d + DESC_SIZE / 4);
      u8.set(f.data.subarray(0, linear), describeRxFrame(u32, d, { slot, linear, ingressIfindex: iface.ifindex, rxQueueIndex: cpu }));
      if (f.data.length > linear) {
        const allocs = this.fragAllocs.get(addr) ?? [];
        this.fragAllocs.set(addr, allocs);
        placeFrags(this.memory, this.captureHeap, d, f.data.subarray(linear), allocs);
        // placeFrags may have grown the arena: the views above must cover the new buffer.
        u8 = new Uint8Array(this.memory.buffer);
        u32 = new Uint32Array(this.memory.buffer);
      }
      ts[i] = f.tsNs;
    }
    const n = frames.length;
    if (!att) {
      // No program: every frame goes to the stack, as without XDP.
      this.deliver(iface, null, cpu, addr, n, true);
      return { done: Promise.resolve() };
    }
    att.inflight++;
    const finish = (): void => this.unhold(iface, att);
    return {
      done: this.pool.run(cpu, addr, n, att.refs, clocked).then(
        (events) => {
          this.deliver(iface, att, cpu, addr, n, false);
          finish();
          for (const { stage, ...e } of events) this.onEvent?.({ ...e, program: att.stages[stage]?.program ?? '' });
        },
        (err: unknown) => { iface.backlog -= n; this.freeFrags(addr); this.pool.giveBack(cpu, addr); finish(); throw err; },
      ),
    };
  }

  private deliver(iface: NetInterface, att: Attachment | null, cpu: number, addr: number, n: number, noProgram: boolean): void {
    const buf = this.memory.buffer;
    const u32 = new Uint32Array(buf);
    const finalStage = new Uint8Array(buf, addr + BATCH_FINAL_STAGE, n);
    const ts = new BigInt64Array(buf, addr + BATCH_TS, n);
    for (let i = 0; i < n; i++) {
      const d = (addr + i * DESC_SIZE) >>> 2;
      if (noProgram) this.toStack(iface, outputFrame(this.memory, d), ts[i]!);
      // DROP, ABORTED and faulted frames were only counted (by the worker): nothing to deliver.
      else if (u32[d + (Desc.ERROR >> 2)] === 0 && u32[d + (Desc.ACTION >> 2)] !== XdpAction.DROP) this.deliverFrame(iface, att!, cpu, d, finalStage[i]!, ts[i]!, u32);
    }
    iface.backlog -= n;
    this.freeFrags(addr);
    this.pool.giveBack(cpu, addr);
  }

  /** One frame a program ran, by its final action (the stage that gave it is charged for redirect errors). */
  private deliverFrame(iface: NetInterface, att: Attachment, cpu: number, d: number, stageIndex: number, tsNs: bigint,
    u32 = new Uint32Array(this.memory.buffer)): void {
    const stage = att.stages[stageIndex]!;
    switch (u32[d + (Desc.ACTION >> 2)]) {
      case XdpAction.PASS: this.toStack(iface, outputFrame(this.memory, d), tsNs); break;
      case XdpAction.TX: this.transmit(iface, outputFrame(this.memory, d), tsNs, stage, cpu); break;
      case XdpAction.REDIRECT: this.redirect(iface, d, u32, outputFrame(this.memory, d), tsNs, stage, cpu); break;
      default: break; // DROP frees; ABORTED / unknown were counted as exceptions by the worker
    }
  }

  private unhold(iface: NetInterface, att: Attachment): void {
    att.inflight--;
    if (att.retired && att.inflight === 0) this.retire(iface, att);
  }

  /**
   * Replay a loaded capture from memory (replay-ring.ts): frames placed into per-CPU rings once, each worker
   * replaying its ring on its own. Null when the rings do not fit (the caller feeds batches instead) or the
   * interface is down.
   */
  replayFromMemory(iface: NetInterface, capture: ArenaCapture, opts: JobOptions): ReplayJob<Attachment> | null {
    if (!iface.up || !this.byIndex.has(iface.ifindex)) return null;
    const host: JobHost<Attachment> = {
      memory: this.memory, pool: this.pool, heap: this.captureHeap, cpus: this.cpus,
      stagesOf: (att) => att.refs,
      hold: (att) => { att.inflight++; },
      unhold: (att) => this.unhold(iface, att),
      deliverMask: () => this.deliverMask(iface),
      deliverFrame: (att, cpu, d, stage, tsNs) => {
        if (att === null) this.toStack(iface, outputFrame(this.memory, d), tsNs);
        else this.deliverFrame(iface, att, cpu, d, stage, tsNs);
      },
      event: (att, stage, e) => this.onEvent?.({ ...e, program: att?.stages[stage]?.program ?? '' }),
    };
    const job = ReplayJob.start(host, iface, capture.frames, this.attachments.get(iface) ?? null, opts);
    if (!job) return null;
    const set = this.jobs.get(iface) ?? new Set<ReplayJob<Attachment>>();
    this.jobs.set(iface, set);
    set.add(job);
    void job.finished.catch(() => undefined).finally(() => {
      set.delete(job);
      if (set.size === 0 && this.jobs.get(iface) === set) this.jobs.delete(iface);
    });
    return job;
  }

  /**
   * Final actions whose frames need the main thread on `iface`: PASS when its stack side is captured, TX when
   * the frame really leaves (a veth peer, a VXLAN tunnel, a capture), every REDIRECT (target resolution,
   * XSK consumers). PASS / TX without those, DROP and ABORTED are counting only and stay on the worker.
   */
  private deliverMask(iface: NetInterface): number {
    let mask = 1 << XdpAction.REDIRECT;
    if (iface.passSink) mask |= 1 << XdpAction.PASS;
    if (iface.kind !== 'pcap' || iface.txSink) mask |= 1 << XdpAction.TX;
    return mask;
  }

  private freeFrags(batch: number): void {
    const allocs = this.fragAllocs.get(batch);
    if (!allocs) return;
    this.fragAllocs.delete(batch);
    for (const a of allocs) this.captureHeap.free(a);
  }

  private toStack(iface: NetInterface, frame: Uint8Array, tsNs: bigint): void {
    iface.stats.passPackets++;
    iface.stats.passBytes += frame.length;
    iface.passSink?.write(frame, tsNs);
  }

  /** Why `ifindex` cannot send a frame of `len` bytes (the kernel's xdp_ok_fwd_dev), or null. */
  private refusal(ifindex: number, len: number): RedirectErrorReason | null {
    const to = this.byIndex.get(ifindex);
    if (!to) return 'no_target';
    if (!to.up) return 'target_down';
    return len > to.mtu + 14 ? 'too_big' : null;
  }

  private redirect(iface: NetInterface, d: number, u32: Uint32Array, frame: Uint8Array, tsNs: bigint, stage: Stage, cpu: number): void {
    const port: DevmapPort = {
      refuse: (ifindex, len) => this.refusal(ifindex, len),
      transmit: (ifindex, f) => { const to = this.byIndex.get(ifindex); if (to) this.transmit(to, f, tsNs, stage, cpu); },
      error: (reason) => this.redirectError(stage, cpu, reason),
    };
    if (this.devmap.redirect(cpu, d << 2, frame, port)) return;
    // CPUMAP: to the target CPU's worker and its cpumap program, then the receiving interface's stack side.
    const cpuPort: CpumapPort = {
      toStack: (f) => this.toStack(iface, f, tsNs),
      redirect: (on, desc, f, block) => this.redirect(iface, desc >>> 2, new Uint32Array(this.memory.buffer), f, tsNs, { ...stage, slot: { block, refs: 1 } }, on),
      error: port.error,
    };
    if (this.cpumap.redirect(d << 2, frame, cpuPort)) return;
    const target = u32[d + (Desc.REDIRECT_TARGET >> 2)]!;
    switch (u32[d + (Desc.REDIRECT_KIND >> 2)]) {
      case RedirectKind.IFINDEX: {
        const reason = this.refusal(target, frame.length);
        if (reason) return this.redirectError(stage, cpu, reason);
        this.transmit(this.byIndex.get(target)!, frame, tsNs, stage, cpu);
        return;
      }
      // XSKMAP: to the consumer attached to that slot over the API; without one, counted and dropped
      // (design.md §4). Every consumer of the slot gets its own copy.
      case RedirectKind.XSK: {
        const consumers = this.xskConsumers.get(`${iface.ifindex}/${target}`);
        if (!consumers) { iface.stats.xskDropped++; return; }
        iface.stats.xskPackets++;
        iface.stats.xskBytes += frame.length;
        for (const c of consumers) c({ queue: target, cpu, tsNs, data: frame.slice() });
        return;
      }
      default: this.redirectError(stage, cpu, 'no_target');
    }
  }

  private redirectError(stage: Stage, cpu: number, reason: RedirectErrorReason): void {
    stage.slot.block.add(cpu, Counter.REDIRECT_ERRORS + REDIRECT_ERROR_REASONS.indexOf(reason), 1);
  }

  /** Put a frame on the wire of `iface`. */
  private transmit(iface: NetInterface, frame: Uint8Array, tsNs: bigint, stage: Stage, cpu: number): void {
    if (iface.kind === 'veth') {
      const peer = iface.peer;
      if (!peer || !peer.up) return this.redirectError(stage, cpu, 'target_down');
      if (peer.backlog + this.arrivingCount(peer) >= this.rxBacklog) return this.redirectError(stage, cpu, 'queue_full');
      // The slot is reused as soon as this batch is delivered: receive() keeps its own copy.
      this.receive(peer, frame, tsNs);
    } else if (iface.kind === 'vxlan') {
      iface.vxlan?.send(frame);
    }
    iface.stats.txPackets++;
    iface.stats.txBytes += frame.length;
    iface.txSink?.write(frame, tsNs);
  }

  // ── counters ──────────────────────────────────────────────────────────────────────────────────────

  /** Every attached (interface, program, cpu) counter set, read from the arena without messages. */
  counters(): CounterRow[] {
    const rows: CounterRow[] = [];
    for (const [iface, att] of this.attachments) {
      for (const s of att.stages) {
        for (let cpu = 0; cpu < this.cpus; cpu++) {
          const b = s.slot.block;
          rows.push({
            interface: iface.name, program: s.program, cpu,
            packets: ACTION_LABELS.map((_, a) => b.read(cpu, Counter.PACKETS + a)),
            bytes: ACTION_LABELS.map((_, a) => b.read(cpu, Counter.BYTES + a)),
            exceptions: b.read(cpu, Counter.EXCEPTIONS),
            redirectErrors: REDIRECT_ERROR_REASONS.map((_, r) => b.read(cpu, Counter.REDIRECT_ERRORS + r)),
            runSeconds: b.read(cpu, Counter.RUN_NS) / 1e9,
          });
        }
      }
    }
    // Devmap programs per egress interface (the kernel traces their exceptions against the tx device), cpumap
    // programs per receiving interface (they run for the device the frame came in on).
    for (const { ifindex, ...r } of [...this.devmap.counterRows(), ...this.cpumap.counterRows()]) {
      const iface = this.byIndex.get(ifindex);
      if (iface) rows.push({ ...r, interface: iface.name });
    }
    return rows;
  }

  /** Write out buffered captures (the daemon calls this with its snapshots). */
  flushCaptures(): void {
    for (const i of this.byIndex.values()) { i.passSink?.flush?.(); i.txSink?.flush?.(); }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.jobs.values()].flatMap((set) => [...set].map((j) => j.stop())));
    for (const i of this.byIndex.values()) {
      await i.vxlan?.close();
      for (const key of [...this.xskConsumers.keys()]) if (key.startsWith(`${i.ifindex}/`)) this.xskConsumers.delete(key);
      i.passSink?.close?.();
      i.txSink?.close?.();
    }
    await this.pool.close();
  }
}
