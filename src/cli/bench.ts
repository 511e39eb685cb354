/**
 * `xdpjit bench OBJ --pcap FILE [--prog NAME] [--maps FILE] [--engine jit|interp|both] [--cpus N] [--json]`
 * (design.md §5): ns/packet and Mpps of our engines with their XDP_PASS floors, the kernel's figure over the
 * same object and frames, and the ratios. Results to stdout (a table, or one JSON object with --json), the
 * progress bar (only on a terminal) and diagnostics to stderr; every run is also written to
 * bench/results/<ISO timestamp>.json.
 *
 * Exit 0 success, also when the kernel figure is missing (the reason is printed); 1 when the verifier
 * rejects the program or a frame faulted; 2 for bad usage or input, or a map type / helper unsupported.
 *
 * `--cpus N` replays on N worker threads at once (one per CPU, each its own copy of the frames, maps shared in
 * the one arena): nsPerPacket stays CPU time per packet, Mpps is N × 1000 / nsPerPacket.
 *
 * Environment: XDPJIT_BENCH_MS caps the measurement (ms, default 3000); XDPJIT_NO_KERNEL=1 leaves the
 * kernel out; XDPJIT_BENCH_RESULTS_DIR writes the results file elsewhere.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { JitCompileError } from '../../jit/errors.js';
import { BenchInputError } from '../bench/bench-errors.js';
import { benchObject, type BenchDetails, type BenchReport } from '../bench/bench-run.js';
import type { BenchEngine } from '../bench/bench-subject.js';
import { CaptureFormatError, UnsupportedLinkTypeError } from '../dataplane/capture/capture-errors.js';
import { GlobalDataError, ObjectFormatError, UnsupportedFeatureError } from '../ebpf/loader.js';
import { VerifierError } from '../verifier/index.js';
import { ArenaFullError } from '../vm/arena.js';
import { MapCreateError } from '../vm/maps/map-header.js';
import { MapsFileError } from '../vm/maps-file.js';
import { EngineUnavailableError } from '../vm/runtime/engine.js';
import { FrameTooBigError } from '../vm/runtime/frame-runner.js';
import { LinkError } from '../vm/runtime/link.js';
import { ProgramSelectionError } from '../vm/runtime/run-capture.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';

const USAGE = 'usage: xdpjit bench OBJ --pcap FILE [--prog NAME] [--maps FILE] [--engine jit|interp|both] [--cpus N] [--json]\n';

/** Default cap of the side-by-side measurement (all engines and floors together), ms. */
const DEFAULT_WINDOW_MS = 3000;
const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

class UsageError extends Error {}

/** Errors that mean bad usage or bad input (exit 2), as opposed to a rejected program or failed run (exit 1). */
const INPUT_ERRORS = [
  UsageError, BenchInputError, ObjectFormatError, UnsupportedFeatureError, CaptureFormatError, UnsupportedLinkTypeError,
  MapsFileError, GlobalDataError, EngineUnavailableError, ProgramSelectionError, LinkError, MapCreateError, ArenaFullError,
  FrameTooBigError, JitCompileError,
];

export interface BenchArgs {
  readonly object: string;
  readonly pcap: string;
  readonly prog?: string;
  readonly maps?: string;
  readonly engines: readonly BenchEngine[];
  readonly cpus: number;
  readonly json: boolean;
}

export function parseBenchArgs(args: readonly string[]): BenchArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args], allowPositionals: true,
      options: {
        pcap: { type: 'string' }, prog: { type: 'string' }, maps: { type: 'string' }, engine: { type: 'string' },
        cpus: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  if (parsed.positionals.length !== 1) throw new UsageError('expected exactly one object file');
  if (v.pcap === undefined) throw new UsageError('--pcap FILE is required');
  const engine = v.engine ?? 'jit';
  const engines: Record<string, readonly BenchEngine[]> = { jit: ['jit'], interp: ['interp'], both: ['jit', 'interp'] };
  if (!engines[engine]) throw new UsageError(`--engine is jit, interp or both, got '${engine}'`);
  const cpusText = v.cpus ?? '1';
  if (!/^\d+$/.test(cpusText) || Number(cpusText) < 1 || Number(cpusText) > 64) throw new UsageError(`--cpus takes a CPU count from 1 to 64, got '${cpusText}'`);
  const cpus = Number(cpusText);
  return {
    object: parsed.positionals[0]!, pcap: v.pcap, engines: engines[engine]!, cpus, json: v.json ?? false,
    ...(v.prog !== undefined ? { prog: v.prog } : {}),
    ...(v.maps !== undefined ? { maps: v.maps } : {}),
  };
}

/** XDPJIT_BENCH_MS: a positive number of ms, else the default. */
export function windowMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.XDPJIT_BENCH_MS;
  if (text === undefined || text === '') return DEFAULT_WINDOW_MS;
  const ms = Number(text);
  if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`XDPJIT_BENCH_MS must be a positive number of ms, got '${text}'`);
  return ms;
}

export function resultsFileName(at: Date): string {
  // ISO 8601 time with ':' and '.' as '-' so the name is valid on every file system a checkout may land on.
  return `${at.toISOString().replace(/[:.]/g, '-')}.json`;
}

function progressBar(): ((what: string, fraction: number) => void) & { done(): void } {
  const tty = process.stderr.isTTY === true;
  const width = 30;
  let shown = '';
  const draw = (what: string, fraction: number): void => {
    if (!tty) return;
    const f = Math.min(1, Math.max(0, fraction));
    const filled = Math.round(f * width);
    const line = `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(Math.round(f * 100)).padStart(3)}% ${what.padEnd(12)}`;
    if (line !== shown) process.stderr.write(line);
    shown = line;
  };
  return Object.assign(draw, { done: () => { if (tty) process.stderr.write(`\r${' '.repeat(width + 20)}\r`); } });
}

const fmt = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const fmtRatio = (x: number | null): string => (x === null ? '-' : x.toFixed(2));

export function formatTable(report: BenchReport, pcap: string): string {
  const lines = [`program ${report.program}: ${report.frames} frames from ${pcap}`];
  const head = `${'engine'.padEnd(8)} ${'ns/packet'.padStart(10)} ${'Mpps'.padStart(8)} ${'floor ns'.padStart(9)} ${'marginal'.padStart(9)}  actions`;
  lines.push(head);
  for (const r of report.results) {
    const actions = Object.entries(r.actions).sort(([a], [b]) => (a < b ? -1 : 1)).map(([a, n]) => `${a}:${n}`).join(' ');
    lines.push(`${r.engine.padEnd(8)} ${fmt(r.nsPerPacket).padStart(10)} ${fmt(r.mpps).padStart(8)} ${fmt(r.floorNsPerPacket).padStart(9)} ${fmt(r.marginalNsPerPacket).padStart(9)}  ${actions}`);
  }
  const k = report.kernel;
  if ('skipReason' in k) {
    lines.push(`kernel: no figure: ${k.skipReason}`);
  } else {
    lines.push(`${'kernel'.padEnd(8)} ${fmt(k.nsPerPacket).padStart(10)} ${fmt(1000 / k.nsPerPacket).padStart(8)} ${fmt(k.floorNsPerPacket).padStart(9)} ${fmt(k.marginalNsPerPacket).padStart(9)}`);
    lines.push(`ratio ${report.results[0]?.engine ?? ''}/kernel: end-to-end ${fmtRatio(report.ratio.endToEnd)}, marginal ${fmtRatio(report.ratio.marginal)}`);
  }
  return `${lines.join('\n')}\n`;
}

function writeResults(report: BenchReport, details: BenchDetails, a: BenchArgs, ms: number): string {
  const dir = process.env.XDPJIT_BENCH_RESULTS_DIR ?? RESULTS_DIR;
  const at = new Date();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, resultsFileName(at));
  const run = {
    date: at.toISOString(), object: a.object, pcap: a.pcap, maps: a.maps ?? null, engines: a.engines, cpus: a.cpus,
    windowMs: ms, node: process.version,
    measured: details.measured.map(({ engine, subject, m }) => ({ engine, subject, ...m })),
    kernelRepeat: details.kernelRepeat ?? null,
  };
  writeFileSync(file, `${JSON.stringify({ ...report, run }, null, 2)}\n`);
  return file;
}

export async function run(args: string[]): Promise<number> {
  const bar = progressBar();
  try {
    const a = parseBenchArgs(args);
    if (a === 'help') { process.stdout.write(USAGE); return EXIT_OK; }
    const ms = windowMs();
    const { report, details } = await benchObject({
      object: a.object, pcap: a.pcap, engines: a.engines, cpus: a.cpus, windowMs: ms, onProgress: bar,
      ...(a.prog !== undefined ? { program: a.prog } : {}),
      ...(a.maps !== undefined ? { maps: a.maps } : {}),
      ...(process.env.XDPJIT_NO_KERNEL ? { kernelSkipReason: 'XDPJIT_NO_KERNEL is set' } : {}),
    });
    bar.done();
    process.stdout.write(a.json ? `${JSON.stringify(report)}\n` : formatTable(report, a.pcap));
    if ('skipReason' in report.kernel && a.json) process.stderr.write(`xdpjit bench: no kernel figure: ${report.kernel.skipReason}\n`);
    for (const { engine, subject, m } of details.measured) {
      if (!m.stable) process.stderr.write(`xdpjit bench: ${engine} ${subject}: not stable within ${ms / a.engines.length} ms (${m.rounds} rounds); median reported\n`);
    }
    const file = writeResults(report, details, a, ms);
    process.stderr.write(`xdpjit bench: results in ${file}\n`);
    for (const f of details.faults) {
      process.stderr.write(`xdpjit bench: ${f.engine}: ${f.errors} frame(s) faulted${f.firstError ? ` (${f.firstError})` : ''}\n`);
    }
    return details.faults.length > 0 ? EXIT_FAILURE : EXIT_OK;
  } catch (e) {
    bar.done();
    if (e instanceof VerifierError) {
      process.stderr.write(`xdpjit bench: ${e.message}\n`);
      return e.detail.unsupported ? EXIT_USAGE : EXIT_FAILURE;
    }
    if (INPUT_ERRORS.some((cls) => e instanceof cls)) {
      process.stderr.write(`xdpjit bench: ${(e as Error).message}\n${e instanceof UsageError ? USAGE : ''}`);
      return EXIT_USAGE;
    }
    throw e;
  }
}
