/**
 * Replaying a capture into an interface (design.md §6 `POST /v1/replays`). The capture sits in the arena
 * once (Datapath.loadCapture).
 *   speed 0 — as fast as the CPUs go: the frames are placed into per-CPU rings once and each worker replays
 *             its ring itself (Datapath.replayFromMemory, replay-ring.ts); when the rings do not fit the
 *             arena, frames are fed in chunks as for paced replays (backpressure from the per-CPU rings),
 *   speed 1 — at the capture's pace (frame i leaves at start + (ts_i - ts_0)), fed in chunks,
 *   speed k — k times faster than the capture.
 * `loop` passes (0 = until stopped). Under `clock: "capture"` the program's clock follows the capture's
 * timestamps, continuing across passes as if the capture were recorded back to back.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { ArenaCapture, Datapath, RxFrame } from './datapath.js';
import type { NetInterface } from './interfaces.js';
import type { ReplayJob } from './replay-job.js';

export type ReplayState = 'running' | 'done' | 'stopped' | 'failed';
export type ReplayClock = 'capture' | 'wall';

export interface ReplayOptions {
  readonly speed: number;
  readonly loop: number;
  readonly clock: ReplayClock;
}

export interface ReplayStatus {
  readonly id: string;
  readonly interface: string;
  readonly pcap: string;
  readonly state: ReplayState;
  readonly framesSent: number;
  /** Frames of all passes; null while looping until stopped. */
  readonly framesTotal: number | null;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly error?: string;
}

const CHUNK = 256;

export class Replay {
  private state: ReplayState = 'running';
  private framesSent = 0;
  private readonly startedAt = new Date();
  private finishedAt: Date | null = null;
  private error: string | undefined;
  private stopRequested = false;
  /** The workers' own replay of the capture from memory (speed 0), when it fits. */
  private job: ReplayJob<unknown> | null = null;
  /** Resolves when the replay has finished, stopped or failed, and every frame it sent was delivered. */
  readonly finished: Promise<void>;

  constructor(
    readonly id: string,
    private readonly datapath: Datapath,
    private readonly iface: NetInterface,
    readonly pcap: string,
    private readonly capture: ArenaCapture,
    private readonly opts: ReplayOptions,
  ) {
    this.finished = this.run().then(
      () => { this.state = this.stopRequested ? 'stopped' : 'done'; },
      (err: unknown) => { this.state = 'failed'; this.error = err instanceof Error ? err.message : String(err); },
    ).finally(() => { this.finishedAt = new Date(); this.capture.release(); });
  }

  get running(): boolean { return this.state === 'running'; }
  get interfaceName(): string { return this.iface.name; }

  status(): ReplayStatus {
    const perPass = this.capture.frames.length;
    return {
      id: this.id, interface: this.iface.name, pcap: this.pcap, state: this.state, framesSent: this.job?.framesDone ?? this.framesSent,
      framesTotal: this.opts.loop === 0 ? null : perPass * this.opts.loop,
      startedAt: this.startedAt.toISOString(), finishedAt: this.finishedAt?.toISOString() ?? null,
      ...(this.error !== undefined ? { error: this.error } : {}),
    };
  }

  /** Stop after the chunk (or every CPU's batch) in flight; frames already handed to CPUs are still delivered. */
  stop(): Promise<void> {
    this.stopRequested = true;
    void this.job?.stop();
    return this.finished;
  }

  private async run(): Promise<void> {
    const frames = this.capture.frames;
    if (frames.length === 0) return;
    const first = frames[0]!.tsNs;
    const last = frames[frames.length - 1]!.tsNs;
    // A pass after the first continues the capture's clock one mean inter-frame gap after its last frame.
    const gap = frames.length > 1 ? (last - first) / BigInt(frames.length - 1) : 1000n;
    const passSpan = last - first + gap;
    const passMs = Number(passSpan) / 1e6;
    const clocked = this.opts.clock === 'capture';
    if (this.opts.speed === 0) {
      this.job = this.datapath.replayFromMemory(this.iface, this.capture, { loop: this.opts.loop, clocked, passSpanNs: passSpan });
      if (this.job) {
        if (this.stopRequested) void this.job.stop();
        return this.job.finished;
      }
    }
    const t0 = performance.now();
    for (let pass = 0; this.opts.loop === 0 || pass < this.opts.loop; pass++) {
      const done: Promise<void>[] = [];
      for (let i = 0; i < frames.length && !this.stopRequested;) {
        let end = Math.min(i + CHUNK, frames.length);
        if (this.opts.speed > 0) {
          const due = (k: number): number => t0 + (pass * passMs + Number(frames[k]!.tsNs - first) / 1e6) / this.opts.speed;
          const wait = due(i) - performance.now();
          if (wait > 1) await sleep(wait);
          const now = performance.now();
          let j = i + 1;
          while (j < end && due(j) <= now) j++;
          end = j;
        }
        const chunk: RxFrame[] = [];
        for (let k = i; k < end; k++) {
          const f = frames[k]!;
          chunk.push(pass === 0 || !clocked ? f : { data: f.data, hash: f.hash, tsNs: f.tsNs + BigInt(pass) * passSpan });
        }
        const { posted, done: delivered } = this.datapath.submit(this.iface, chunk, clocked);
        await posted;
        done.push(delivered);
        this.framesSent += end - i;
        i = end;
        // Let the API and the workers' replies in between chunks, whatever the speed.
        await nextTurn();
      }
      await Promise.all(done);
      if (this.stopRequested) return;
    }
  }
}
