/**
 * The worker's side of a replay-from-memory job (replay-ring.ts): one CPU replays its ring batch after batch,
 * counting straight into the arena counter blocks and the job's control block. `step` runs one batch; the
 * worker's scheduler (cpu-worker.ts) interleaves steps of all its jobs and yields to its event loop between
 * slices.
 *
 * A ring is cut into the same batches on every pass. Before a frame runs again its descriptor goes back to the
 * slot's original bounds (data / data_end / data_meta; the bytes stay as the previous pass left them). With a
 * one-program attachment and linear frames, one JS loop per batch does everything per frame: count the
 * action, count PASS / TX that need no delivery, and reset the descriptor for the next pass (frames handed
 * to the main thread keep their bounds until delivered; their batch is reset before it runs again). Chains and multi-buffer frames take
 * the general way (stage-runner.ts, then a separate reset before the next run).
 */
import { Desc, DESC_SIZE, XDP_PACKET_HEADROOM } from '../vm/arena-layout.js';
import { XdpAction } from '../ebpf/opcodes.js';
import type { JobReply, JobRequest, JobStages, StageEvent, StageRef } from './batch-layout.js';
import { BatchTally } from './counters.js';
import type { ArenaMemory, BatchClock } from './frame-processor.js';
import { JobControl, JobCounter, ringFinal, ringLinear, ringTs } from './replay-ring.js';
import { MAX_EVENTS_PER_BATCH, type StageRunner } from './stage-runner.js';

export type StepResult = 'more' | 'wait' | 'done';

type JobStart = Extract<JobRequest, { t: 'job' }>;

const DATA = Desc.DATA >> 2, DATA_END = Desc.DATA_END >> 2, DATA_META = Desc.DATA_META >> 2;
const ACTION = Desc.ACTION >> 2, ERROR = Desc.ERROR >> 2, SLOT = Desc.SLOT >> 2, FRAGS_LEN = Desc.FRAGS_LEN >> 2;
const STRIDE = DESC_SIZE >> 2;

/** What one batch counted for the interface without delivery, added to the control block in one go. */
interface BatchStats { rxBytes: number; passPackets: number; passBytes: number; txPackets: number; txBytes: number }

export class WorkerReplayJob {
  readonly id: number;
  private readonly control: JobControl;
  private run: JobStages;
  private pendingRun: JobStages | null = null;
  private pass = 0;
  private pos = 0;
  /** Frames of the last batch were handed to the main thread; their slots wait for `job-delivered`. */
  waiting = false;
  /** Per batch of the ring: its descriptors still hold the last run's bounds (reset before it runs again). */
  private readonly dirty: Uint8Array;
  private readonly hasFrags: boolean;
  private readonly tsNs: BigInt64Array;
  private readonly tally = new BatchTally();
  private readonly stats: BatchStats = { rxBytes: 0, passPackets: 0, passBytes: 0, txPackets: 0, txBytes: 0 };

  constructor(
    private readonly start: JobStart,
    private readonly memory: ArenaMemory,
    private readonly cpu: number,
    private readonly runner: StageRunner,
    private readonly reply: (msg: JobReply) => void,
  ) {
    this.id = start.id;
    this.control = new JobControl(start.control);
    this.run = start.run;
    this.tsNs = new BigInt64Array(start.batch);
    this.dirty = new Uint8Array(Math.ceil(start.n / start.batch));
    const u32 = new Uint32Array(memory.buffer);
    let frags = false;
    for (let i = 0, d = start.ring >>> 2; i < start.n; i++, d += STRIDE) if (u32[d + FRAGS_LEN] !== 0) frags = true;
    this.hasFrags = frags;
  }

  /** New stages (attach / replace / detach): applied at the next batch boundary. */
  restage(run: JobStages): void { this.pendingRun = run; }

  delivered(): void { this.waiting = false; }

  step(): StepResult {
    const { ring, n, loop } = this.start;
    if (this.control.stopRequested || (loop > 0 && this.pass >= loop)) return 'done';
    if (this.pendingRun) {
      this.run = this.pendingRun;
      this.pendingRun = null;
      this.reply({ t: 'job-applied', id: this.id, gen: this.run.gen });
    }
    const start = this.pos;
    const m = Math.min(this.start.batch, n - start);
    const b = Math.floor(start / this.start.batch);
    const buf = this.memory.buffer;
    const u32 = new Uint32Array(buf);
    const linear = new Uint32Array(buf, ring + ringLinear(n) + start * 4, m);
    const addr = ring + start * DESC_SIZE;
    if (this.dirty[b]) reset(u32, addr >>> 2, linear, m);
    const st = this.stats;
    const events: StageEvent[] = [];
    const { stages, deliverMask, gen } = this.run;
    let deliver: boolean;
    if (stages && stages.length === 1 && !this.hasFrags) {
      deliver = this.runFused(u32, addr, linear, m, stages[0]!, deliverMask, events);
    } else {
      for (let i = 0, d = addr >>> 2; i < m; i++, d += STRIDE) st.rxBytes += linear[i]! + u32[d + FRAGS_LEN]!;
      if (stages) {
        const finalStage = new Uint8Array(buf, ring + ringFinal(n) + start, m);
        this.runner.run(addr, m, finalStage, stages, this.clockOf(buf, start, m), events);
      } else {
        // No program: every frame goes to the stack, as without XDP.
        for (let i = 0, d = addr >>> 2; i < m; i++, d += STRIDE) u32[d + ACTION] = XdpAction.PASS;
      }
      deliver = countUndelivered(u32, addr >>> 2, m, deliverMask, st);
      this.dirty[b] = 1;
    }
    const c = this.control, cpu = this.cpu;
    c.add(cpu, JobCounter.RX_BYTES, st.rxBytes);
    c.add(cpu, JobCounter.PASS_PACKETS, st.passPackets);
    c.add(cpu, JobCounter.PASS_BYTES, st.passBytes);
    c.add(cpu, JobCounter.TX_PACKETS, st.txPackets);
    c.add(cpu, JobCounter.TX_BYTES, st.txBytes);
    c.add(cpu, JobCounter.FRAMES, m);
    st.rxBytes = st.passPackets = st.passBytes = st.txPackets = st.txBytes = 0;
    if (events.length > 0) this.reply({ t: 'job-events', id: this.id, gen, events });
    const pass = this.pass;
    this.pos += m;
    if (this.pos === n) { this.pos = 0; this.pass++; }
    if (deliver) {
      this.waiting = true;
      this.reply({ t: 'job-deliver', id: this.id, gen, start, n: m, pass });
      return 'wait';
    }
    return loop > 0 && this.pass >= loop ? 'done' : 'more';
  }

  /**
   * One program over linear frames: a single engine entry, then one loop that counts each frame under its
   * action and puts its descriptor back to the original bounds unless the batch goes to the main thread.
   */
  private runFused(u32: Uint32Array, addr: number, linear: Uint32Array, m: number, stage: StageRef, mask: number, events: StageEvent[]): boolean {
    const start = this.pos, b = Math.floor(start / this.start.batch);
    const proc = this.runner.processor(stage.key);
    const tally = this.tally, st = this.stats;
    const t0 = performance.now();
    let batchFault = proc === undefined;
    try {
      proc?.runBatch(this.cpu, addr, m, this.clockOf(this.memory.buffer, start, m));
    } catch {
      batchFault = true;
    }
    tally.runNs += (performance.now() - t0) * 1e6;
    const drained = proc?.drainEvents?.();
    if (drained) for (const e of drained) if (events.length < MAX_EVENTS_PER_BATCH) events.push({ ...e, stage: 0 });
    const d0 = addr >>> 2;
    // Locals rather than object fields in the per-frame loop: V8 keeps them in registers.
    let deliver = false, rx = 0, passPackets = 0, passBytes = 0, txPackets = 0, txBytes = 0;
    const packets = tally.packets, bytes = tally.bytes;
    for (let i = 0, d = d0; i < m; i++, d += STRIDE) {
      // A fault not attributable to one frame aborts the whole batch: every frame counts as an exception.
      if (batchFault) u32[d + ACTION] = XdpAction.ABORTED;
      const action = u32[d + ACTION]!;
      const len = linear[i]!;
      rx += len;
      if (batchFault || u32[d + ERROR] !== 0) {
        tally.count(action, len, true);
        u32[d + ERROR] = 0;
      } else if (action === XdpAction.DROP) {
        packets[XdpAction.DROP]!++;
        bytes[XdpAction.DROP]! += len;
      } else {
        tally.count(action, len, false);
        // A frame to deliver keeps its bounds until the main thread took it; the batch is reset before it runs again.
        if (action < 32 && (mask >>> action) & 1) { deliver = true; continue; }
        if (action === XdpAction.PASS) { passPackets++; passBytes += u32[d + DATA_END]! - u32[d + DATA]!; }
        else if (action === XdpAction.TX) { txPackets++; txBytes += u32[d + DATA_END]! - u32[d + DATA]!; }
      }
      // Back to the slot's original bounds for the next pass (the bytes stay).
      const data = u32[d + SLOT]! + XDP_PACKET_HEADROOM;
      u32[d + DATA] = data;
      u32[d + DATA_END] = data + len;
      u32[d + DATA_META] = data;
    }
    st.rxBytes += rx;
    st.passPackets += passPackets; st.passBytes += passBytes;
    st.txPackets += txPackets; st.txBytes += txBytes;
    tally.flushTo(this.runner.blockAt(stage.counterAddr), this.cpu);
    this.dirty[b] = deliver ? 1 : 0;
    return deliver;
  }

  /** The virtual clock of this pass (null on the wall clock): capture timestamps, one capture span later per pass. */
  private clockOf(buf: ArrayBufferLike, start: number, m: number): BatchClock | null {
    if (!this.start.clocked) return null;
    const { ring, n, passSpanNs } = this.start;
    const ts = new BigInt64Array(buf, ring + ringTs(n) + start * 8, m);
    const out = this.tsNs.subarray(0, m);
    const shift = BigInt(this.pass) * passSpanNs;
    for (let i = 0; i < m; i++) out[i] = ts[i]! + shift;
    return { tsNs: out };
  }
}

/** Descriptors back to their slot's original frame bounds, action and fault cleared; the bytes stay. */
function reset(u32: Uint32Array, d0: number, linear: Uint32Array, m: number): void {
  for (let i = 0, d = d0; i < m; i++, d += STRIDE) {
    const data = u32[d + SLOT]! + XDP_PACKET_HEADROOM;
    u32[d + DATA] = data;
    u32[d + DATA_END] = data + linear[i]!;
    u32[d + DATA_META] = data;
    u32[d + ACTION] = 0;
    u32[d + ERROR] = 0;
  }
}

/** PASS / TX frames that need no delivery, counted for the interface; true when some frame needs delivery. */
function countUndelivered(u32: Uint32Array, d0: number, m: number, mask: number, st: BatchStats): boolean {
  let deliver = false;
  for (let i = 0, d = d0; i < m; i++, d += STRIDE) {
    if (u32[d + ERROR] !== 0) continue;
    const action = u32[d + ACTION]!;
    if (action < 32 && (mask >>> action) & 1) { deliver = true; continue; }
    if (action !== XdpAction.PASS && action !== XdpAction.TX) continue;
    const len = u32[d + DATA_END]! - u32[d + DATA]! + u32[d + FRAGS_LEN]!;
    if (action === XdpAction.PASS) { st.passPackets++; st.passBytes += len; } else { st.txPackets++; st.txBytes += len; }
  }
  return deliver;
}
