/**
 * The main thread's side of the per-CPU workers: spawns one worker_thread per CPU sharing the arena, hands
 * out batch buffers (a ring of RING_DEPTH per CPU, so a busy CPU applies backpressure to whoever feeds it),
 * prepares / releases processors on every CPU, resolves a promise when a batch has run, and carries the
 * messages of replay jobs (replay-ring.ts) to and from the job that owns them.
 */
import { Worker } from 'node:worker_threads';
import { BATCH_BYTES, RING_DEPTH, type JobReply, type JobRequest, type StageEvent, type StageRef, type WorkerReply, type WorkerRequest } from './batch-layout.js';
import type { ArenaMemory, ProcessorRecipe } from './frame-processor.js';
import type { RegionAllocator } from './region-allocator.js';

export class ProcessorPrepareError extends Error {
  constructor(readonly cpu: number, message: string) {
    super(`cpu ${cpu}: ${message}`);
    this.name = 'ProcessorPrepareError';
  }
}

interface CpuState {
  readonly worker: Worker;
  readonly freeBuffers: number[];
  readonly waiters: Array<(addr: number) => void>;
}

export class CpuPool {
  private readonly cpuStates: CpuState[] = [];
  private readonly pendingBatches = new Map<number, { resolve: (events: readonly StageEvent[]) => void; reject: (e: Error) => void }>();
  private readonly pendingPrepares = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly jobListeners = new Map<number, (cpu: number, m: JobReply) => void>();
  private nextBatchId = 1;
  private nextJobId = 1;
  private nextKey = 1;
  private closed = false;

  constructor(readonly memory: ArenaMemory, readonly cpus: number, region: RegionAllocator) {
    const workerUrl = new URL('./cpu-worker.js', import.meta.url);
    for (let cpu = 0; cpu < cpus; cpu++) {
      const worker = new Worker(workerUrl, { workerData: { memory, cpu, cpus } });
      worker.on('message', (m: WorkerReply) => this.onReply(cpu, m));
      worker.on('error', (err) => this.failAll(cpu, new Error(`cpu ${cpu} worker failed: ${err.message}`)));
      const freeBuffers: number[] = [];
      for (let i = 0; i < RING_DEPTH; i++) freeBuffers.push(region.alloc(BATCH_BYTES, 4096));
      this.cpuStates.push({ worker, freeBuffers, waiters: [] });
    }
  }

  private onReply(cpu: number, m: WorkerReply): void {
    if (m.t === 'job-applied' || m.t === 'job-deliver' || m.t === 'job-events' || m.t === 'job-done') {
      this.jobListeners.get(m.id)?.(cpu, m);
    } else if (m.t === 'done') {
      const p = this.pendingBatches.get(m.id);
      this.pendingBatches.delete(m.id);
      if (m.error) p?.reject(new Error(`cpu ${cpu}: ${m.error}`)); else p?.resolve(m.events ?? []);
    } else {
      const id = `${m.key}/${cpu}`;
      const p = this.pendingPrepares.get(id);
      this.pendingPrepares.delete(id);
      if (m.error) p?.reject(new ProcessorPrepareError(cpu, m.error)); else p?.resolve();
    }
  }

  private failAll(cpu: number, err: Error): void {
    for (const [id, listener] of this.jobListeners) listener(cpu, { t: 'job-done', id, error: err.message });
    for (const p of this.pendingBatches.values()) p.reject(err);
    this.pendingBatches.clear();
    for (const p of this.pendingPrepares.values()) p.reject(err);
    this.pendingPrepares.clear();
  }

  private post(cpu: number, msg: WorkerRequest): void {
    this.cpuStates[cpu]!.worker.postMessage(msg);
  }

  /** Build the processor on every CPU; resolves with its key once all have it (a failure releases it). */
  async prepare(recipe: ProcessorRecipe): Promise<number> {
    const key = this.nextKey++;
    const waits = this.cpuStates.map((_, cpu) => new Promise<void>((resolve, reject) => {
      this.pendingPrepares.set(`${key}/${cpu}`, { resolve, reject });
      this.post(cpu, { t: 'prepare', key, module: recipe.module, spec: recipe.spec });
    }));
    try {
      await Promise.all(waits);
    } catch (err) {
      await Promise.allSettled(waits);
      this.release(key);
      throw err;
    }
    return key;
  }

  release(key: number): void {
    if (this.closed) return;
    for (let cpu = 0; cpu < this.cpus; cpu++) this.post(cpu, { t: 'release', key });
  }

  /** A free batch buffer of `cpu`, waiting for one to come back when all are in flight. */
  acquire(cpu: number): Promise<number> | number {
    const st = this.cpuStates[cpu]!;
    const addr = st.freeBuffers.pop();
    if (addr !== undefined) return addr;
    return new Promise((resolve) => st.waiters.push(resolve));
  }

  /** Give a buffer back: to the first waiter, else to the free list. */
  giveBack(cpu: number, addr: number): void {
    const st = this.cpuStates[cpu]!;
    const waiter = st.waiters.shift();
    if (waiter) waiter(addr); else st.freeBuffers.push(addr);
  }

  /** Run a filled batch buffer on `cpu`; resolves with the events its programs emitted. */
  run(cpu: number, addr: number, n: number, stages: readonly StageRef[], clocked: boolean): Promise<readonly StageEvent[]> {
    const id = this.nextBatchId++;
    return new Promise((resolve, reject) => {
      this.pendingBatches.set(id, { resolve, reject });
      this.post(cpu, { t: 'batch', id, addr, n, stages, clocked });
    });
  }

  /** A new replay job id whose worker replies go to `listener` until `closeJob`. */
  openJob(listener: (cpu: number, m: JobReply) => void): number {
    const id = this.nextJobId++;
    this.jobListeners.set(id, listener);
    return id;
  }

  closeJob(id: number): void { this.jobListeners.delete(id); }

  postJob(cpu: number, msg: JobRequest): void {
    if (!this.closed) this.post(cpu, msg);
  }

  get inFlight(): number { return this.pendingBatches.size; }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.cpuStates.map((s) => s.worker.terminate()));
  }
}
