/**
 * Prometheus metrics of design.md §6, names/types/labels exactly as the contract says. Packet counters are
 * not incremented by the data path: at scrape time each collector reads the per-CPU counter blocks straight
 * from the arena (Datapath.counters) and republishes them, so a detached program's series disappear with its
 * counter block, and scraping costs the data path nothing.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ACTION_LABELS, REDIRECT_ERROR_REASONS } from '../dataplane/counters.js';
import type { CounterRow } from '../dataplane/datapath.js';

export interface MetricsSource {
  counters(): CounterRow[];
  /** Current entry count per map name (maps of the same name are summed). */
  mapEntries(): ReadonlyMap<string, number>;
}

/** Buckets for compile and verify times: 100 µs .. 10 s. */
const SECONDS_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

export class DaemonMetrics {
  readonly registry = new Registry();
  readonly jitCompileSeconds: Histogram<'program'>;
  readonly verifierSeconds: Histogram<'program'>;

  constructor(source: MetricsSource) {
    const reg = [this.registry];
    const perRow = (
      name: string, help: string, labels: string[],
      fill: (c: Counter<string>, row: CounterRow, base: Record<string, string>) => void,
    ): void => {
      new Counter({
        name, help, labelNames: labels, registers: reg,
        collect(this: Counter<string>) {
          this.reset();
          for (const row of source.counters()) {
            fill(this, row, { interface: row.interface, program: row.program, cpu: String(row.cpu) });
          }
        },
      });
    };
    const base = ['interface', 'program', 'cpu'];
    perRow('xdpjit_packets_total', 'Frames a program returned, by action', [...base, 'action'], (c, r, b) =>
      ACTION_LABELS.forEach((action, i) => c.inc({ ...b, action }, r.packets[i]!)));
    perRow('xdpjit_bytes_total', 'Bytes of the frames a program received, by the action it returned', [...base, 'action'], (c, r, b) =>
      ACTION_LABELS.forEach((action, i) => c.inc({ ...b, action }, r.bytes[i]!)));
    perRow('xdpjit_redirect_errors_total', 'XDP_REDIRECTs that could not be delivered, by reason', [...base, 'reason'], (c, r, b) =>
      REDIRECT_ERROR_REASONS.forEach((reason, i) => c.inc({ ...b, reason }, r.redirectErrors[i]!)));
    perRow('xdpjit_exceptions_total', 'Aborted and unknown actions and engine faults', base, (c, r, b) =>
      c.inc(b, r.exceptions));
    perRow('xdpjit_program_run_seconds_total', 'Time spent running programs', base, (c, r, b) =>
      c.inc(b, r.runSeconds));
    this.jitCompileSeconds = new Histogram({
      name: 'xdpjit_jit_compile_seconds', help: 'Time to compile a program for its engine', labelNames: ['program'],
      buckets: SECONDS_BUCKETS, registers: reg,
    });
    this.verifierSeconds = new Histogram({
      name: 'xdpjit_verifier_seconds', help: 'Time to verify a program', labelNames: ['program'],
      buckets: SECONDS_BUCKETS, registers: reg,
    });
    new Gauge({
      name: 'xdpjit_map_entries', help: 'Entries in a map', labelNames: ['map'], registers: reg,
      collect(this: Gauge<string>) {
        this.reset();
        for (const [map, n] of source.mapEntries()) this.set({ map }, n);
      },
    });
  }

  /** A removed program's histogram series go with it (design.md §6). */
  forgetProgram(name: string): void {
    this.jitCompileSeconds.remove({ program: name });
    this.verifierSeconds.remove({ program: name });
  }
}
