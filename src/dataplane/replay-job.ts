/**
 * The main thread's side of a replay-from-memory job (replay-ring.ts): places a loaded capture's frames into
 * per-CPU rings once (split by RSS, as the NIC would spread them), hands each worker one `job` message, and
 * then only (a) tells workers about attach / replace / detach, releasing an attachment once every CPU has
 * moved past it, (b) delivers the frames a worker hands back (those whose action needs per-frame work on the
 * main thread), (c) forwards program events, and (d) reads progress and the interface's counting-only
 * statistics from the job's control block.
 */
import { Desc, DESC_SIZE, FRAME_SLOT_SIZE, MAX_LINEAR } from '../vm/arena-layout.js';
import { ArenaFullError } from '../vm/arena.js';
import type { JobReply, StageRef } from './batch-layout.js';
import type { CpuPool } from './cpu-pool.js';
import { queueForHash, rssHash } from './flow-hash.js';
import { describeRxFrame, placeFrags, type CaptureHeap } from './frame-frags.js';
import type { ArenaMemory, ProcessorEvent } from './frame-processor.js';
import type { NetInterface } from './interfaces.js';
import { RegionExhaustedError } from './region-allocator.js';
import { JOB_BATCH, JobControl, JobCounter, ringBytes, ringFinal, ringLinear, ringSlots, ringTs } from './replay-ring.js';

/** What a job needs from the data plane; `A` is the data plane's attachment (null: no program). */
export interface JobHost<A> {
  readonly memory: ArenaMemory;
  readonly pool: CpuPool;
  readonly heap: CaptureHeap;
  readonly cpus: number;
  stagesOf(att: A): readonly StageRef[];
  /** Keep `att` alive while a CPU may run it; `unhold` once that CPU moved past it. */
  hold(att: A): void;
  unhold(att: A): void;
  /** Bit 1 << action for each final action that needs the main thread per frame on this interface. */
  deliverMask(): number;
  /** Deliver the frame of descriptor u32 index `d` by its action, as a batch buffer's frame is delivered. */
  deliverFrame(att: A | null, cpu: number, d: number, stage: number, tsNs: bigint): void;
  event(att: A | null, stage: number, e: ProcessorEvent): void;
}

export interface JobFrame { readonly data: Uint8Array; readonly hash?: number; readonly tsNs: bigint }

export interface JobOptions {
  /** Passes; 0 = until stopped. */
  readonly loop: number;
  /** Programs' clock follows the capture timestamps, shifted by `passSpanNs` per pass. */
  readonly clocked: boolean;
  readonly passSpanNs: bigint;
}

interface Ring { readonly addr: number; readonly n: number }
interface Gen<A> { readonly att: A | null; readonly mask: number }

export class ReplayJob<A> {
  readonly finished: Promise<void>;
  private readonly id: number;
  private readonly control: JobControl;
  private readonly gens = new Map<number, Gen<A>>();
  private gen = 0;
  /** Per CPU: the newest generation the worker applied; whether it still runs the job. */
  private readonly applied: number[];
  private readonly active: boolean[];
  private readonly seen: number[];
  private error: string | null = null;
  private settle!: () => void;
  private readonly timer: NodeJS.Timeout;

  /**
   * Place `frames` into per-CPU rings and start the job with attachment `att`; null when the rings do not fit
   * the heap (the caller replays through batch buffers instead).
   */
  static start<A>(host: JobHost<A>, iface: NetInterface, frames: readonly JobFrame[], att: A | null, opts: JobOptions): ReplayJob<A> | null {
    const perCpu: number[][] = Array.from({ length: host.cpus }, () => []);
    frames.forEach((f, i) => perCpu[queueForHash(f.hash ?? rssHash(f.data), host.cpus)]!.push(i));
    const allocs: number[] = [];
    try {
      const rings = perCpu.map((idx) => ({ addr: idx.length > 0 ? host.heap.alloc(ringBytes(idx.length), 'replay ring') : 0, n: idx.length }));
      allocs.push(...rings.filter((r) => r.n > 0).map((r) => r.addr));
      rings.forEach((r, cpu) => { if (r.n > 0) fillRing(host, iface, r, cpu, perCpu[cpu]!.map((i) => frames[i]!), allocs); });
      return new ReplayJob(host, iface, rings, allocs, att, opts);
    } catch (err) {
      for (const a of allocs) host.heap.free(a);
      if (err instanceof ArenaFullError || err instanceof RegionExhaustedError) return null;
      throw err;
    }
  }

  private constructor(
    private readonly host: JobHost<A>,
    private readonly iface: NetInterface,
    private readonly rings: readonly Ring[],
    private readonly allocs: readonly number[],
    att: A | null,
    private readonly opts: JobOptions,
  ) {
    this.control = JobControl.create(host.cpus);
    this.applied = rings.map(() => 0);
    this.active = rings.map((r) => r.n > 0);
    this.seen = Object.values(JobCounter).map(() => 0);
    this.id = host.pool.openJob((cpu, m) => this.onReply(cpu, m));
    this.finished = new Promise<void>((resolve) => { this.settle = resolve; }).then(() => {
      if (this.error !== null) throw new Error(`replay job: ${this.error}`);
    });
    this.finished.catch(() => undefined);
    this.timer = setInterval(() => this.fold(), 200);
    this.timer.unref();
    this.gens.set(0, { att, mask: host.deliverMask() });
    rings.forEach((r, cpu) => {
      if (r.n === 0) return;
      if (att !== null) host.hold(att);
      host.pool.postJob(cpu, {
        t: 'job', id: this.id, ring: r.addr, n: r.n, loop: opts.loop, clocked: opts.clocked, passSpanNs: opts.passSpanNs,
        batch: JOB_BATCH, control: this.control.buffer, run: this.runOf(0),
      });
    });
    if (!this.active.includes(true)) this.end();
  }

  private runOf(gen: number): { gen: number; stages: readonly StageRef[] | null; deliverMask: number } {
    const g = this.gens.get(gen)!;
    return { gen, stages: g.att === null ? null : this.host.stagesOf(g.att), deliverMask: g.mask };
  }

  /** Frames run so far on every CPU (each counted once, under the program that ran it). */
  get framesDone(): number {
    this.fold();
    return this.rings.reduce((s, _, cpu) => s + this.control.read(cpu, JobCounter.FRAMES), 0);
  }

  /** Attach / replace / detach: the workers switch at their next batch boundary. */
  restage(att: A | null): void {
    const gen = ++this.gen;
    this.gens.set(gen, { att, mask: this.host.deliverMask() });
    const run = this.runOf(gen);
    this.active.forEach((on, cpu) => {
      if (!on) return;
      if (att !== null) this.host.hold(att);
      this.host.pool.postJob(cpu, { t: 'job-stages', id: this.id, run });
    });
  }

  /** Stop at the next batch boundary of every CPU; resolves once all stopped and were delivered. */
  stop(): Promise<void> {
    this.control.requestStop();
    return this.finished;
  }

  private onReply(cpu: number, m: JobReply): void {
    switch (m.t) {
      case 'job-applied': this.releaseGens(cpu, m.gen - 1); break;
      case 'job-deliver': this.deliver(cpu, m.gen, m.start, m.n, m.pass); break;
      case 'job-events': {
        const att = this.gens.get(m.gen)?.att ?? null;
        for (const { stage, ...e } of m.events) this.host.event(att, stage, e);
        break;
      }
      case 'job-done':
        if (!this.active[cpu]) break;
        this.active[cpu] = false;
        if (m.error !== undefined) this.error ??= `cpu ${cpu}: ${m.error}`;
        this.releaseGens(cpu, this.gen);
        if (!this.active.includes(true)) this.end();
        break;
    }
  }

  /** CPU `cpu` no longer runs generations applied[cpu]..upTo (a skipped generation was never run at all). */
  private releaseGens(cpu: number, upTo: number): void {
    for (let g = this.applied[cpu]!; g <= upTo; g++) {
      const att = this.gens.get(g)?.att ?? null;
      if (att !== null) this.host.unhold(att);
    }
    this.applied[cpu] = upTo + 1;
    const oldest = Math.min(...this.applied.filter((_, c) => this.active[c]));
    for (const g of this.gens.keys()) if (g < oldest) this.gens.delete(g);
  }

  private deliver(cpu: number, gen: number, start: number, n: number, pass: number): void {
    const { addr, n: total } = this.rings[cpu]!;
    const buf = this.host.memory.buffer;
    const u32 = new Uint32Array(buf);
    const finalStage = new Uint8Array(buf, addr + ringFinal(total) + start, n);
    const ts = new BigInt64Array(buf, addr + ringTs(total) + start * 8, n);
    const g = this.gens.get(gen)!;
    // Without the capture clock a frame keeps its capture timestamp on every pass, as batch delivery does.
    const shift = this.opts.clocked ? BigInt(pass) * this.opts.passSpanNs : 0n;
    for (let i = 0; i < n; i++) {
      const d = (addr + (start + i) * DESC_SIZE) >>> 2;
      if (u32[d + (Desc.ERROR >> 2)] !== 0) continue;
      const action = u32[d + (Desc.ACTION >> 2)]!;
      if (action >= 32 || ((g.mask >>> action) & 1) === 0) continue;
      this.host.deliverFrame(g.att, cpu, d, finalStage[i]!, ts[i]! + shift);
    }
    this.host.pool.postJob(cpu, { t: 'job-delivered', id: this.id });
  }

  /** Add what the workers counted since the last fold to the interface's statistics. */
  private fold(): void {
    const st = this.iface.stats;
    const delta = (k: number): number => {
      let sum = 0;
      for (let cpu = 0; cpu < this.rings.length; cpu++) sum += this.control.read(cpu, k);
      const d = sum - this.seen[k]!;
      this.seen[k] = sum;
      return d;
    };
    st.rxPackets += delta(JobCounter.FRAMES);
    st.rxBytes += delta(JobCounter.RX_BYTES);
    st.passPackets += delta(JobCounter.PASS_PACKETS);
    st.passBytes += delta(JobCounter.PASS_BYTES);
    st.txPackets += delta(JobCounter.TX_PACKETS);
    st.txBytes += delta(JobCounter.TX_BYTES);
  }

  private end(): void {
    clearInterval(this.timer);
    this.fold();
    this.host.pool.closeJob(this.id);
    for (const a of this.allocs) this.host.heap.free(a);
    this.settle();
  }
}

/** Copy one CPU's frames into its ring's slots and describe them (the only copy a replay makes). */
function fillRing<A>(host: JobHost<A>, iface: NetInterface, ring: Ring, cpu: number, frames: readonly JobFrame[], allocs: number[]): void {
  const { addr, n } = ring;
  const slots = addr + ringSlots(n);
  let u8 = new Uint8Array(host.memory.buffer);
  let u32 = new Uint32Array(host.memory.buffer);
  let ts = new BigInt64Array(host.memory.buffer, addr + ringTs(n), n);
  u8.fill(0, addr, addr + ringSlots(n));
  for (let i = 0; i < n; i++) {
    const f = frames[i]!;
    const slot = slots + i * FRAME_SLOT_SIZE;
    const linear = Math.min(f.data.length, MAX_LINEAR);
    const d = (addr + i * DESC_SIZE) >>> 2;
    u8.set(f.data.subarray(0, linear), describeRxFrame(u32, d, { slot, linear, ingressIfindex: iface.ifindex, rxQueueIndex: cpu }));
    u32[((addr + ringLinear(n)) >>> 2) + i] = linear;
    ts[i] = f.tsNs;
    if (f.data.length > linear) {
      placeFrags(host.memory, host.heap, d, f.data.subarray(linear), allocs);
      u8 = new Uint8Array(host.memory.buffer);
      u32 = new Uint32Array(host.memory.buffer);
      ts = new BigInt64Array(host.memory.buffer, addr + ringTs(n), n);
    }
  }
}
