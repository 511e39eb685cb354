/**
 * `xdpjit bench` as a library call (design.md §5), shared by the CLI verb and bench/suite.ts: our engines'
 * ns/packet on one object and capture, each next to its XDP_PASS floor (programs/xdp_pass.o through the very
 * same harness) timed side by side in one measurement, then the kernel's figure over the same object, map
 * fill and frames (BPF_PROG_TEST_RUN with repeat, src/oracle) with the kernel's own XDP_PASS floor.
 *
 *   endToEnd = X / Z        marginal = (X − F) / (Z − G)
 *
 * X, F: ours and our floor (the first engine asked for); Z, G: the kernel and its floor.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { readCapture, requireEthernet } from '../dataplane/capture/read-capture.js';
import { parseObject } from '../ebpf/loader.js';
import { KernelLoadError, KernelOracleError, kernelAvailable, kernelBench, kernelFloorBench } from '../oracle/index.js';
import { Arena } from '../vm/arena.js';
import { parseMapsText, type MapsLine } from '../vm/maps-file.js';
import { BenchInputError } from './bench-errors.js';
import { loadSubject, type BenchEngine, type BenchSubject } from './bench-subject.js';
import { measureSideBySide, median, type Measured } from './measure.js';

/** The XDP_PASS program whose cost is each engine's floor. */
export const FLOOR_OBJECT = fileURLToPath(new URL('../../../programs/xdp_pass.o', import.meta.url));

/** One engine's figures: exactly the fields of a `results[]` entry of `--json` (design.md §5), in order. */
export interface EngineFigures {
  readonly engine: BenchEngine;
  readonly nsPerPacket: number;
  readonly mpps: number;
  readonly floorNsPerPacket: number;
  readonly marginalNsPerPacket: number;
  readonly actions: Readonly<Record<string, number>>;
}

export type KernelFigures =
  | { readonly nsPerPacket: number; readonly floorNsPerPacket: number; readonly marginalNsPerPacket: number }
  | { readonly skipReason: string };

/** The `--json` object (design.md §5). Ratios are null without a kernel figure (or a kernel marginal ≤ 0). */
export interface BenchReport {
  readonly program: string;
  readonly frames: number;
  readonly results: readonly EngineFigures[];
  readonly kernel: KernelFigures;
  readonly ratio: { readonly endToEnd: number | null; readonly marginal: number | null };
}

/** What the report leaves out: how the measurement went, for diagnostics on stderr and the suite's file. */
export interface BenchDetails {
  readonly measured: readonly { readonly engine: BenchEngine; readonly subject: 'program' | 'floor'; readonly m: Measured }[];
  /** Frames that faulted in the counted pass, per engine (a failed run: exit 1). */
  readonly faults: readonly { readonly engine: BenchEngine; readonly errors: number; readonly firstError?: string }[];
  readonly kernelRepeat?: number;
}

export interface BenchOptions {
  readonly object: string;
  readonly pcap: string;
  readonly program?: string;
  readonly maps?: string;
  readonly engines: readonly BenchEngine[];
  /**
   * CPUs replaying side by side (default 1), each on its own worker thread and copy of the frames, over the
   * one arena. nsPerPacket stays CPU time per packet; mpps is then cpus × 1000 / nsPerPacket.
   */
  readonly cpus?: number;
  /** Cap of the measurement of our engines, ms, shared equally by the engines. */
  readonly windowMs: number;
  /** Skip the kernel, with this reason (e.g. XDPJIT_NO_KERNEL, or a suite without root). */
  readonly kernelSkipReason?: string;
  /** Alternating kernel floor/program rounds (default KERNEL_ROUNDS). */
  readonly kernelRounds?: number;
  readonly onProgress?: (what: string, fraction: number) => void;
}

/** Kernel floor/program alternations: enough for a median, each a test_run call of ~50 ms overhead. */
export const KERNEL_ROUNDS = 5;

function readInput(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new BenchInputError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * test_run repeats per frame for a kernel run of about `windowMs` × 2,000 runs in all (2 million for a
 * one-second window, the oracle's own default), at most the oracle's 100,000 per frame.
 */
function kernelRepeat(windowMs: number, frames: number): number {
  return Math.min(100_000, Math.max(1, Math.round((windowMs * 2_000) / Math.max(1, frames))));
}

export function ratio(x: number, z: number): number | null {
  return Number.isFinite(x) && Number.isFinite(z) && z > 0 ? x / z : null;
}

/** Loads the capture and maps file (typed errors for exit 2), then measures. */
export async function benchObject(opts: BenchOptions): Promise<{ report: BenchReport; details: BenchDetails }> {
  const spec = parseObject(readInput(opts.object, 'object'));
  const floorSpec = parseObject(readInput(FLOOR_OBJECT, 'floor object'));
  const capture = requireEthernet(readCapture(readInput(opts.pcap, 'capture')));
  const frames = capture.frames.map((f) => f.data);
  const mapLines: MapsLine[] = opts.maps ? parseMapsText(Buffer.from(readInput(opts.maps, 'maps file')).toString('utf8'), opts.maps) : [];

  const cpus = opts.cpus ?? 1;
  const arena = Arena.create({ maxBytes: 1 << 30, cpus: Math.max(cpus, Math.min(availableParallelism(), 64)) });
  const subjects: BenchSubject[] = [];
  const pairs: { engine: BenchEngine; program: BenchSubject; floor: BenchSubject }[] = [];
  const measured: Measured[] = [];
  const faults: BenchDetails['faults'][number][] = [];
  const results: EngineFigures[] = [];
  try {
    for (const engine of opts.engines) {
      const program = await loadSubject(arena, spec, frames, { engine, mapLines, cpus, ...(opts.program !== undefined ? { program: opts.program } : {}) });
      subjects.push(program);
      const floor = await loadSubject(arena, floorSpec, frames, { engine, cpus });
      subjects.push(floor);
      pairs.push({ engine, program, floor });
    }
    // Each engine's program and floor side by side, engines one after the other (the interpreter's steps are
    // hundreds of times the JIT's: in one round-robin they would starve the JIT's rounds).
    for (const p of pairs) {
      measured.push(...measureSideBySide([p.program, p.floor], {
        capMs: opts.windowMs / pairs.length,
        onProgress: (f) => opts.onProgress?.(p.engine, f),
      }));
    }
    pairs.forEach((p, i) => {
      const counted = p.program.countedPass();
      if (counted.errors > 0) faults.push({ engine: p.engine, errors: counted.errors, ...(counted.firstError !== undefined ? { firstError: counted.firstError } : {}) });
      const x = measured[2 * i]!.nsPerPacket;
      const f = measured[2 * i + 1]!.nsPerPacket;
      results.push({ engine: p.engine, nsPerPacket: x, mpps: (cpus * 1000) / x, floorNsPerPacket: f, marginalNsPerPacket: x - f, actions: counted.actions });
    });
  } finally {
    await Promise.all(subjects.map((s) => s.close()));
  }
  const program = pairs[0]?.program.program ?? opts.program ?? '';

  const repeat = kernelRepeat(opts.windowMs, frames.length);
  const kernel = await kernelFigures(opts, program, repeat);
  const first = results[0];
  const report: BenchReport = {
    program, frames: frames.length, results, kernel,
    ratio: first && 'nsPerPacket' in kernel
      ? { endToEnd: ratio(first.nsPerPacket, kernel.nsPerPacket), marginal: ratio(first.marginalNsPerPacket, kernel.marginalNsPerPacket) }
      : { endToEnd: null, marginal: null },
  };
  return {
    report,
    details: {
      measured: pairs.flatMap((p, i) => [
        { engine: p.engine, subject: 'program' as const, m: measured[2 * i]! },
        { engine: p.engine, subject: 'floor' as const, m: measured[2 * i + 1]! },
      ]),
      faults,
      ...('nsPerPacket' in kernel ? { kernelRepeat: repeat } : {}),
    },
  };
}

async function kernelFigures(opts: BenchOptions, program: string, repeat: number): Promise<KernelFigures> {
  if (opts.kernelSkipReason !== undefined) return { skipReason: opts.kernelSkipReason };
  const k = await kernelAvailable();
  if (!k.ok) return { skipReason: k.reason };
  // Floor and program alternate, each round a share of the repeats, so that load on this shared machine
  // falls on both alike (as our side-by-side rounds do); the figures are the medians over rounds.
  const rounds = opts.kernelRounds ?? KERNEL_ROUNDS;
  const perRound = Math.max(1, Math.round(repeat / rounds));
  const floors: number[] = [];
  const runs: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      opts.onProgress?.('kernel', r / rounds);
      floors.push((await kernelFloorBench(opts.pcap, { repeat: perRound })).nsPerPacket);
      const z = await kernelBench(opts.object, opts.pcap, { prog: program, repeat: perRound, ...(opts.maps !== undefined ? { mapsFile: opts.maps } : {}) });
      if (!(z.frames > 0)) return { skipReason: 'the kernel ran none of the frames (test_run refuses frames under 14 bytes)' };
      runs.push(z.nsPerPacket);
    }
  } catch (e) {
    if (e instanceof KernelLoadError) return { skipReason: `the kernel refused the program: ${e.message.split('\n')[0]}` };
    if (e instanceof KernelOracleError) return { skipReason: e.message.split('\n')[0]! };
    throw e;
  }
  opts.onProgress?.('kernel', 1);
  const z = median(runs);
  const g = median(floors);
  return { nsPerPacket: z, floorNsPerPacket: g, marginalNsPerPacket: z - g };
}
