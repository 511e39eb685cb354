/**
 * `xdpjit run` as a library call (design.md §5; the differential harness compares it with the kernel):
 * verify the object's XDP programs, load it into a fresh arena, apply the map fill, run every frame once,
 * in order, on CPU 0 (checked mode stays on: it is the verifier's second opinion), and
 * return per-frame records and the map dump — the same content `--jsonl` and `--dump-maps` print.
 */
import type { VirtualFib } from '../helpers/virtual-fib.js';
import { availableParallelism } from 'node:os';
import { UnsupportedFeatureError } from '../../ebpf/loader-errors.js';
import type { ObjectSpec, ProgramSpec } from '../../ebpf/object-spec.js';
import { verify } from '../../verifier/index.js';
import { Arena } from '../arena.js';
import { CaptureClock, WallClock } from '../clock.js';
import { applyMapLines, applyRodataLines, type MapsLine } from '../maps-file.js';
import type { EngineFactory } from './engine.js';
import { ENGINES, type EngineName } from './engines.js';
import { FrameRunner, type FrameOutcome, type FrameRecord } from './frame-runner.js';
import { dumpMaps, type MapDumpLine } from './map-dump.js';
import { Runtime } from './runtime.js';

export interface RunFrame {
  readonly data: Uint8Array;
  /** Capture timestamp, ns since the epoch (drives the capture clock). */
  readonly tsNs: bigint;
}

/**
 * Something a program emitted while frame `i` ran, as a `--jsonl` line: `{"event":"trace","i","cpu","text"}`
 * or `{"event":"ringbuf"|"perf","i","cpu","map","data":"<hex>"}`.
 */
export type RunEvent =
  | { readonly event: 'trace'; readonly i: number; readonly cpu: number; readonly text: string }
  | { readonly event: 'ringbuf' | 'perf'; readonly i: number; readonly cpu: number; readonly map: string; readonly data: string };

export interface RunCaptureOptions {
  readonly program?: string;
  readonly engine?: EngineName | EngineFactory;
  /** --maps lines then --set lines, applied in order. */
  readonly mapLines?: readonly MapsLine[];
  readonly ifindex?: number;
  readonly seed?: number;
  readonly clock?: 'capture' | 'wall';
  readonly harden?: boolean;
  /** The virtual FIB bpf_fib_lookup / bpf_check_mtu answer from (`--fib FILE`); absent: the host-less default. */
  readonly fib?: VirtualFib;
  /** Arena maximum (default 1 GiB, reserved lazily). */
  readonly arenaBytes?: number;
  /** CPU count for per-CPU maps (default: this machine's, as the kernel's possible CPUs). */
  readonly cpus?: number;
  /** Verify the object's XDP programs before running (design.md §3a); default true. */
  readonly verify?: boolean;
  /** Called after each frame (streaming output, --out). */
  readonly onFrame?: (outcome: FrameOutcome, frame: RunFrame) => void;
  readonly onEvent?: (event: RunEvent) => void;
}

export interface RunCaptureResult {
  readonly program: string;
  readonly frames: readonly FrameRecord[];
  readonly events: readonly RunEvent[];
  readonly maps: readonly MapDumpLine[];
}

export class ProgramSelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProgramSelectionError';
  }
}

const XDP_KINDS: ReadonlySet<string> = new Set(['xdp', 'xdp.frags']);

/** The program `name`, or the object's first XDP program. */
export function selectProgram(spec: ObjectSpec, name?: string): ProgramSpec {
  const xdp = spec.programs.filter((p) => XDP_KINDS.has(p.kind));
  if (name !== undefined) {
    const p = spec.programs.find((q) => q.name === name);
    if (!p) throw new ProgramSelectionError(`no program '${name}' in the object (XDP programs: ${xdp.map((q) => q.name).join(', ') || 'none'})`);
    if (!XDP_KINDS.has(p.kind)) throw new ProgramSelectionError(`program '${name}' is ${p.kind} (section ${p.section}), not an XDP entry program`);
    return p;
  }
  const first = xdp[0];
  if (!first) throw new ProgramSelectionError('no XDP program in the object');
  return first;
}

export async function runCapture(spec: ObjectSpec, frames: readonly RunFrame[], opts: RunCaptureOptions = {}): Promise<RunCaptureResult> {
  const entry = selectProgram(spec, opts.program);
  const lines = opts.mapLines ?? [];
  const loaded = applyRodataLines(spec, lines);
  // Verified as loaded: after the .rodata fill, as a libbpf skeleton's config is (throws VerifierError).
  if (opts.verify ?? true) for (const p of loaded.programs) if (XDP_KINDS.has(p.kind)) verify(p, loaded);
  const arena = Arena.create({ maxBytes: opts.arenaBytes ?? 1 << 30, cpus: opts.cpus ?? Math.min(availableParallelism(), 64) });
  const seed = opts.seed ?? 0;
  const clock = opts.clock === 'wall' ? new WallClock(seed) : new CaptureClock(seed);
  const runtime = Runtime.load(arena, loaded, { clock, seed, ...(opts.fib ? { fib: opts.fib } : {}) });
  applyMapLines(runtime, loaded, lines);

  const factory = typeof opts.engine === 'function' ? opts.engine : ENGINES[opts.engine ?? 'interp'];
  const engine = await factory(runtime, { harden: opts.harden ?? false });
  const program = runtime.programs.get(entry.name);
  if (!program) throw new UnsupportedFeatureError(entry.name, `program '${entry.name}' was not linked`);
  const runner = new FrameRunner(runtime, engine.prepare(program), { cpu: 0, ifindex: opts.ifindex ?? 1 });

  const events: RunEvent[] = [];
  let current = 0;
  runtime.onEvent((re) => {
    const e: RunEvent = re.type === 'trace'
      ? { event: 'trace', i: current, cpu: re.cpu, text: re.text }
      : { event: re.type, i: current, cpu: re.cpu, map: re.map, data: Buffer.from(re.data).toString('hex') };
    events.push(e);
    opts.onEvent?.(e);
  });
  const records: FrameRecord[] = [];
  frames.forEach((frame, i) => {
    current = i;
    const outcome = runner.run(i, frame.data, frame.tsNs);
    records.push(outcome.record);
    opts.onFrame?.(outcome, frame);
  });
  runner.dispose();
  return { program: entry.name, frames: records, events, maps: dumpMaps(runtime) };
}
