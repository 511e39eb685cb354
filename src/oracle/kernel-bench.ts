/**
 * The kernel's ns/packet for `xdpjit bench` (design.md §5): one BPF_PROG_TEST_RUN call per frame with
 * `repeat`, the kernel timing the repeats itself (bpf_test_run's timer, ns per run, whole ns), averaged over
 * frames. Each repeat runs on the frame as the previous run left it, as xdpjit's bench passes do. The oracle
 * keeps the program in the XDP dispatcher meanwhile (attached in a private network namespace), so a call
 * costs its runs and not a ~20 ms dispatcher update: budget frames × repeat × (ns/packet) of wall time.
 */
import { readFile } from 'node:fs/promises';
import { runOracle } from './oracle-process.js';
import type { KernelBenchResult } from './oracle-types.js';
import { readCapture } from '../dataplane/capture/index.js';
import { withClassicPcap, withTemporaryPcap } from './pcap-file.js';

export interface KernelBenchOptions {
  readonly prog?: string;
  readonly mapsFile?: string;
  /**
   * Runs per frame in one test_run call. Default: about two million runs in all (a second or two at kernel
   * speeds), at least 1,000 and at most 100,000 per frame.
   */
  readonly repeat?: number;
}

const TOTAL_RUNS = 2_000_000;
const MIN_REPEAT = 1_000;
const MAX_REPEAT = 100_000;

async function defaultRepeat(pcapPath: string): Promise<number> {
  const frames = readCapture(await readFile(pcapPath)).frames.length;
  return Math.min(MAX_REPEAT, Math.max(MIN_REPEAT, Math.round(TOTAL_RUNS / Math.max(1, frames))));
}

/** `framesOrPcap`: a capture path (pcap or pcapng, Ethernet), or the frames themselves. */
export function kernelBench(objPath: string, framesOrPcap: string | readonly Uint8Array[], opts: KernelBenchOptions = {}): Promise<KernelBenchResult> {
  if (typeof framesOrPcap === 'string') return withClassicPcap(framesOrPcap, (path) => benchCapture(objPath, path, opts));
  return withTemporaryPcap(framesOrPcap, (path) => benchCapture(objPath, path, opts));
}

/**
 * The floor: the same measurement for a built-in program that only returns XDP_PASS, so that a bench can
 * report the kernel's marginal cost (nsPerPacket minus this) next to xdpjit's.
 */
export function kernelFloorBench(framesOrPcap: string | readonly Uint8Array[], opts: Pick<KernelBenchOptions, 'repeat'> = {}): Promise<KernelBenchResult> {
  if (typeof framesOrPcap === 'string') return withClassicPcap(framesOrPcap, (path) => benchArgs(['--floor'], path, opts));
  return withTemporaryPcap(framesOrPcap, (path) => benchArgs(['--floor'], path, opts));
}

function benchCapture(objPath: string, pcapPath: string, opts: KernelBenchOptions): Promise<KernelBenchResult> {
  const args = [objPath];
  if (opts.prog !== undefined) args.push('--prog', opts.prog);
  if (opts.mapsFile !== undefined) args.push('--maps', opts.mapsFile);
  return benchArgs(args, pcapPath, opts, objPath);
}

async function benchArgs(base: readonly string[], pcapPath: string, opts: Pick<KernelBenchOptions, 'repeat'>, objPath?: string): Promise<KernelBenchResult> {
  const repeat = opts.repeat ?? (await defaultRepeat(pcapPath));
  if (!Number.isInteger(repeat) || repeat < 1) throw new RangeError(`repeat must be a positive integer, got ${repeat}`);
  const { lines } = await runOracle([...base, '--pcap', pcapPath, '--bench', String(repeat)], objPath);
  let total = 0;
  let frames = 0;
  const actions: Record<string, number> = {};
  for (const line of lines) {
    if (typeof line.durationNs !== 'number' || typeof line.action !== 'string') continue;
    total += line.durationNs;
    frames++;
    actions[line.action] = (actions[line.action] ?? 0) + 1;
  }
  return Object.freeze({ nsPerPacket: frames > 0 ? total / frames : Number.NaN, frames, repeat, actions: Object.freeze(actions) });
}
