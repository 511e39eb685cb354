/**
 * The daemon assembled: arena → data plane (per-CPU workers) → control plane (+ persisted state) → HTTP.
 * Snapshots every map to the state dir every 5 s and once more on stop (SIGTERM), so that after a SIGKILL the
 * daemon comes back with what the data path wrote as of the last snapshot (design.md §6).
 */
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { Arena } from '../vm/arena.js';
import { Datapath } from '../dataplane/datapath.js';
import { BATCH_BYTES, RING_DEPTH } from '../dataplane/batch-layout.js';
import { buildApp } from './app.js';
import { ControlPlane } from './control-plane.js';
import { EventBus } from './event-bus.js';
import { DaemonMetrics } from './metrics.js';
import type { ObjectLoader } from './object-loader.js';
import { RuntimeObjectLoader } from './runtime-object-loader.js';
import type { ServeConfig } from './serve-config.js';
import { StateStore } from './state-store.js';

export interface DaemonDeps {
  /** The loading pipeline over the daemon's arena; RuntimeObjectLoader by default. */
  readonly makeLoader?: (arena: Arena, log: Logger) => ObjectLoader;
  readonly logger?: Logger;
}

export const SNAPSHOT_INTERVAL_MS = 5000;
/** Counter blocks for up to this many (interface, program) pairs fit in the data-plane region. */
const COUNTER_REGION_BYTES = 1 << 20;

export class Daemon {
  private snapshotTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;

  private constructor(
    readonly app: FastifyInstance,
    readonly cp: ControlPlane,
    readonly events: EventBus,
    private readonly datapath: Datapath,
    private readonly log: Logger,
    readonly url: string,
  ) {}

  static async start(cfg: ServeConfig, deps: DaemonDeps = {}, version = '0.1.0'): Promise<Daemon> {
    const log = deps.logger ?? pino({ level: process.env['XDPJIT_LOG_LEVEL'] ?? 'info' }, pino.destination(2));
    const arena = Arena.create({ maxBytes: cfg.arenaSize, cpus: cfg.workers });
    const regionSize = cfg.workers * RING_DEPTH * BATCH_BYTES + COUNTER_REGION_BYTES;
    const datapath = new Datapath({
      memory: arena.memory, regionBase: arena.alloc(regionSize, 'data-plane batch rings and counters'),
      regionSize, cpus: cfg.workers, captureHeap: arena,
    });
    const loader = deps.makeLoader?.(arena, log) ?? new RuntimeObjectLoader(arena, 0, (msg) => log.warn(msg), cfg.fib);
    // The compiler loads while the workers start and the state is restored; an attach (from the state dir,
    // the config or the API) waits for this same import rather than starting its own. Not awaited: an empty
    // daemon serves as soon as it can, and an attach that comes later finds the compiler ready.
    loader.warm?.().catch((err: unknown) => log.warn({ err }, 'warming the JIT failed; the first attach will load it'));
    const events = new EventBus();
    datapath.onEvent = (e) => events.publish(e);
    let cpRef: ControlPlane | null = null;
    const metrics = new DaemonMetrics({
      counters: () => datapath.counters(),
      mapEntries: () => cpRef?.mapEntryCounts() ?? new Map(),
    });
    const store = cfg.stateDir ? await StateStore.open(cfg.stateDir) : null;
    const cp = new ControlPlane({
      arena, datapath, loader, store,
      programsDir: cfg.programsDir, pcapsDir: cfg.pcapsDir, strict: cfg.strict, metrics, log,
    });
    cpRef = cp;
    try {
      await cp.restore();
      await Daemon.applyStartup(cp, cfg, log);
    } catch (err) {
      await datapath.close();
      throw err;
    }
    const app = await buildApp({ cp, metrics, events, logger: log, token: cfg.token, version });
    const address = await app.listen({ host: cfg.host, port: cfg.port });
    const port = new URL(address).port;
    const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
    const daemon = new Daemon(app, cp, events, datapath, log, `http://${host}:${port}`);
    // Snapshots also flush interface captures, so the timer runs with or without a state dir.
    daemon.snapshotTimer = setInterval(() => {
      cp.snapshot().catch((err: unknown) => log.error({ err }, 'snapshot failed'));
    }, SNAPSHOT_INTERVAL_MS);
    daemon.snapshotTimer.unref();
    log.info({ url: daemon.url, workers: cfg.workers, arenaSize: cfg.arenaSize, stateDir: cfg.stateDir }, 'serving');
    return daemon;
  }

  /** The config file's interfaces, attachments and replays, for what the state dir did not already bring. */
  private static async applyStartup(cp: ControlPlane, cfg: ServeConfig, log: Logger): Promise<void> {
    for (const spec of cfg.interfaces) {
      if (!cp.hasInterface(spec.name)) await cp.addInterface(spec);
    }
    for (const a of cfg.attachments) {
      if (cp.hasAttachment(a.interface)) continue;
      const name = a.program.replace(/^.*\//, '').replace(/\.o$/, '');
      const id = cp.programByName(name) ?? (await cp.loadProgramFromPath(a.program, name)).id;
      await cp.attach(a.interface, { program: id, ...(a.entry ? { entry: a.entry } : {}), ...(a.engine ? { engine: a.engine } : {}), ...(a.harden !== undefined ? { harden: a.harden } : {}) });
    }
    for (const r of cfg.replays) {
      const { id } = await cp.startReplay(r);
      log.info({ replay: id, interface: r.interface, pcap: r.pcap }, 'replay started from config');
    }
  }

  /** Graceful stop: no new requests, replays stopped, a last snapshot, workers terminated. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.snapshotTimer) clearInterval(this.snapshotTimer);
      await this.app.close();
      await this.cp.close();
      await this.cp.snapshot();
      await this.datapath.close();
      this.log.info('stopped');
    })();
    return this.stopping;
  }
}
