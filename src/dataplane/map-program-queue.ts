/**
 * Programs that a map entry names rather than an interface — devmap programs (SEC("xdp/devmap"),
 * devmap-delivery.ts) and cpumap programs (SEC("xdp/cpumap"), cpumap-delivery.ts) — run the same way: frames
 * are queued per CPU while a batch is delivered and run once that synchronous delivery is over (a microtask,
 * as xdp_do_flush ends the NAPI poll and flushes the kernel's bulk queues), one worker batch per
 * (program, interface) on that CPU, counted in a counter block of that pair and with their events labelled by
 * the program. What a verdict means is the caller's (dev_map_bpf_prog_run and cpu_map_bpf_prog_run_xdp
 * differ); this module owns the queues, the prepared processors, the counter blocks and the worker batches.
 */
import { DESC_SIZE, Desc, FRAME_SLOT_SIZE } from '../vm/arena-layout.js';
import { BATCH_SIZE, BATCH_SLOTS, type StageEvent, type StageRef } from './batch-layout.js';
import { ACTION_LABELS, Counter, CounterBlock, REDIRECT_ERROR_REASONS, counterBlockSize, type RedirectErrorReason } from './counters.js';
import { describeRxFrame } from './frame-frags.js';
import type { ArenaMemory, ProcessorEvent, ProcessorRecipe } from './frame-processor.js';

/** A loaded map-named program as the daemon names it (its program id): a stable token, a label, a recipe. */
export interface MapProgram {
  /** The same object for as long as the program stays loaded (prepared processors are cached by it). */
  readonly token: object;
  /** Metrics label. */
  readonly label: string;
  prepare(): Promise<ProcessorRecipe>;
}

/** The program an id in a map value names, or undefined when none is loaded (the frame is then dropped). */
export type MapProgramResolver = (id: number) => MapProgram | undefined;

/** The per-CPU workers as delivery uses them (cpu-pool.ts CpuPool). */
export interface MapProgramPool {
  prepare(recipe: ProcessorRecipe): Promise<number>;
  acquire(cpu: number): Promise<number> | number;
  giveBack(cpu: number, addr: number): void;
  run(cpu: number, addr: number, n: number, stages: readonly StageRef[], clocked: boolean): Promise<readonly StageEvent[]>;
}

export interface MapProgramQueueOptions {
  readonly memory: ArenaMemory;
  readonly cpus: number;
  readonly pool: MapProgramPool;
  /** Arena bytes for a counter block (counters.ts) per (program, interface). */
  readonly allocCounters: (size: number) => number;
  /** Where the programs' events (trace_printk, ring buffer...) go, labelled with the program. */
  readonly onEvent?: (e: ProcessorEvent & { readonly program: string }) => void;
}

/** A frame waiting for a map-named program. */
export interface QueuedFrame {
  /** The program id the map value named. */
  readonly prog: number;
  /** The interface its counters are kept for. */
  readonly ifindex: number;
  readonly ingressIfindex: number;
  readonly egressIfindex: number;
  /** The metadata in front of the frame, then the frame. */
  readonly bytes: Uint8Array;
  readonly metaLen: number;
  /** Where a frame whose program is not loaded is counted (`no_target`). */
  readonly port: { error(reason: RedirectErrorReason): void };
}

/**
 * What happens to a frame after its program returned `action` without faulting on `cpu`: `desc` is its
 * descriptor's arena address, `frame()` copies what the program left in [data, data_end), `block` is the
 * program's counter block.
 */
export type VerdictHandler<Q extends QueuedFrame> =
  (q: Q, action: number, cpu: number, desc: number, frame: () => Uint8Array, block: CounterBlock) => void;

/** Counters of one map-named program for one interface, per CPU (as Datapath.counters rows). */
export interface MapProgramCounterRow {
  readonly ifindex: number;
  readonly program: string;
  readonly cpu: number;
  readonly packets: readonly number[];
  readonly bytes: readonly number[];
  readonly exceptions: number;
  readonly redirectErrors: readonly number[];
  readonly runSeconds: number;
}

interface CounterEntry { readonly ifindex: number; readonly program: string; readonly block: CounterBlock }

export class MapProgramQueue<Q extends QueuedFrame> {
  /** Set by whoever owns program ids (the daemon's control plane); without it no program is found. */
  programs: MapProgramResolver | null = null;
  private readonly queued = new Map<number, Q[]>();
  private readonly flushing = new Set<Promise<void>>();
  private readonly prepared = new WeakMap<object, Promise<number>>();
  private readonly counters = new Map<string, CounterEntry>();

  constructor(private readonly opts: MapProgramQueueOptions, private readonly onVerdict: VerdictHandler<Q>) {}

  /** Frames queued for `cpu` and not yet flushed. */
  queuedOn(cpu: number): number { return this.queued.get(cpu)?.length ?? 0; }

  /** Queue `q` to run on `cpu` once the current synchronous delivery is over. */
  enqueue(cpu: number, q: Q): void {
    let list = this.queued.get(cpu);
    if (!list) {
      list = [];
      this.queued.set(cpu, list);
      queueMicrotask(() => this.track(this.flush(cpu)));
    }
    list.push(q);
  }

  /** Resolves once every frame queued so far went through its program (and on, as its verdict said). */
  async settled(): Promise<void> {
    // Queued frames have their flush scheduled as a microtask: let it start, then wait for every flush.
    while (this.queued.size > 0 || this.flushing.size > 0) {
      await Promise.resolve();
      await Promise.allSettled([...this.flushing]);
    }
  }

  private track(p: Promise<void>): void {
    this.flushing.add(p);
    // A failed worker batch loses its frames, as a failed transmit would; nothing else to undo.
    void p.catch(() => undefined).finally(() => this.flushing.delete(p));
  }

  /** Run the programs over the frames queued on `cpu`, on `cpu`. */
  private async flush(cpu: number): Promise<void> {
    const q = this.queued.get(cpu);
    if (!q) return;
    this.queued.delete(cpu);
    const groups = new Map<string, Q[]>();
    for (const f of q) {
      const k = `${f.prog}/${f.ifindex}`;
      const g = groups.get(k);
      if (g) g.push(f); else groups.set(k, [f]);
    }
    for (const frames of groups.values()) {
      const { prog, ifindex } = frames[0]!;
      const program = this.programs?.(prog);
      const key = program ? await this.prepare(program).catch(() => undefined) : undefined;
      if (!program || key === undefined) {
        for (const f of frames) f.port.error('no_target');
        continue;
      }
      const block = this.counterBlock(ifindex, prog, program.label);
      for (let i = 0; i < frames.length; i += BATCH_SIZE) await this.runBatch(cpu, key, block, program.label, frames.slice(i, i + BATCH_SIZE));
    }
  }

  private prepare(program: MapProgram): Promise<number> {
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

  /** One worker batch of frames for one (program, interface) on `cpu`. */
  private async runBatch(cpu: number, key: number, block: CounterBlock, label: string, frames: readonly Q[]): Promise<void> {
    const pool = this.opts.pool;
    const addr = await pool.acquire(cpu);
    try {
      let u32 = new Uint32Array(this.opts.memory.buffer);
      const u8 = new Uint8Array(this.opts.memory.buffer);
      frames.forEach((f, i) => {
        const d = (addr + i * DESC_SIZE) >>> 2;
        u32.fill(0, d, d + DESC_SIZE / 4);
        const data = describeRxFrame(u32, d, {
          slot: addr + BATCH_SLOTS + i * FRAME_SLOT_SIZE, linear: f.bytes.length - f.metaLen, metaLen: f.metaLen,
          ingressIfindex: f.ingressIfindex, egressIfindex: f.egressIfindex,
        });
        u8.set(f.bytes, data - f.metaLen);
      });
      const events = await pool.run(cpu, addr, frames.length, [{ key, chainCallActions: 0, counterAddr: block.addr }], false);
      for (const { stage: _stage, ...e } of events) this.opts.onEvent?.({ ...e, program: label });
      u32 = new Uint32Array(this.opts.memory.buffer);
      const out = new Uint8Array(this.opts.memory.buffer);
      frames.forEach((f, i) => {
        const d = (addr + i * DESC_SIZE) >>> 2;
        // A faulting frame was counted as an exception by the worker, as were XDP_ABORTED and unknown values.
        if (u32[d + (Desc.ERROR >> 2)] !== 0) return;
        const frame = (): Uint8Array => out.slice(u32[d + (Desc.DATA >> 2)]!, u32[d + (Desc.DATA_END >> 2)]!);
        this.onVerdict(f, u32[d + (Desc.ACTION >> 2)]!, cpu, d << 2, frame, block);
      });
    } finally {
      pool.giveBack(cpu, addr);
    }
  }

  /** Every program's counters, per interface and CPU, read from the arena. */
  counterRows(): MapProgramCounterRow[] {
    const rows: MapProgramCounterRow[] = [];
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
