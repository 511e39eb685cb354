/**
 * Runs `xdpjit run ... --jsonl --dump-maps --out` as a user would (design.md §5) and parses what it printed:
 * the differential suite's view of an xdpjit engine.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCapture } from '../../src/dataplane/capture/index.js';
import { KernelLoadError, runKernel, type EngineEventLine, type EngineFrameLine, type EngineRun, type MapDumpLine } from '../../src/oracle/index.js';

/** This module runs as dist/test/differential/xdpjit-cli.js. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(REPO_ROOT, 'bin', 'xdpjit.js');

export interface CliCase {
  readonly obj: string;
  readonly prog: string;
  readonly pcap: string;
  readonly mapsFile?: string;
  readonly engine: string;
}

/** `refused`: exit 2, xdpjit says it cannot run this (a reason to skip); otherwise it failed (a finding). */
export type CliOutcome =
  | { readonly ok: true; readonly run: EngineRun; readonly exitCode: number; readonly stderr: string }
  | { readonly ok: false; readonly refused: boolean; readonly reason: string };

function exec(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 1 << 30, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The engine `kernel` is the oracle run a second time: kernel against kernel shows whether the policy
 * leaves out everything that is not reproducible (time, randomness, the host).
 */
async function runKernelAsEngine(c: CliCase): Promise<CliOutcome> {
  try {
    const k = await runKernel(c.obj, c.pcap, { prog: c.prog, dumpMaps: true, ...(c.mapsFile ? { mapsFile: c.mapsFile } : {}) });
    const leftBytes = k.frames.filter((f) => f.action === 'XDP_PASS' || f.action === 'XDP_TX' || f.action === 'XDP_REDIRECT').map((f) => Buffer.from(f.hex, 'hex'));
    const frames = k.frames.map(({ i, action, len, sha1 }) => ({ i, action, len, sha1 }));
    // Frames the kernel refuses have no line; xdpjit prints one for them, so mirror that with a placeholder.
    for (const i of k.skipped) frames.push({ i, action: 'XDP_PASS', len: 0, sha1: '' });
    return { ok: true, run: { frames, maps: k.maps, events: k.events, leftBytes }, exitCode: 0, stderr: '' };
  } catch (err) {
    if (err instanceof KernelLoadError) return { ok: false, refused: true, reason: err.message };
    throw err;
  }
}

/** Exit 2 is "xdpjit cannot run this" (usage, unsupported map type or helper): a reason, not a result. */
export async function runXdpjit(c: CliCase): Promise<CliOutcome> {
  if (c.engine === 'kernel') return runKernelAsEngine(c);
  const dir = await mkdtemp(join(tmpdir(), 'xdpjit-diff-'));
  try {
    const out = join(dir, 'out.pcap');
    const args = ['run', c.obj, '--pcap', c.pcap, '--prog', c.prog, '--engine', c.engine, '--jsonl', '--dump-maps', '--out', out];
    if (c.mapsFile !== undefined) args.push('--maps', c.mapsFile);
    const r = await exec(args);
    if (r.code === 2) return { ok: false, refused: true, reason: firstLine(r.stderr) || `exit 2: ${firstLine(r.stdout)}` };
    const frames: EngineFrameLine[] = [];
    const maps: MapDumpLine[] = [];
    const events: EngineEventLine[] = [];
    for (const text of r.stdout.split('\n')) {
      if (!text.startsWith('{')) continue;
      const line = JSON.parse(text) as Record<string, unknown>;
      if (line.event === 'ringbuf' || line.event === 'perf') events.push(line as unknown as EngineEventLine);
      else if (typeof line.map === 'string') maps.push(line as unknown as MapDumpLine);
      else if (typeof line.i === 'number') frames.push(line as unknown as EngineFrameLine);
    }
    if (frames.length === 0 && r.code !== 0) return { ok: false, refused: false, reason: `exit ${r.code}: ${firstLine(r.stderr)}` };
    let leftBytes: Uint8Array[] | undefined;
    try {
      leftBytes = readCapture(await readFile(out)).frames.map((f) => f.data);
    } catch {
      leftBytes = undefined; // no --out written: bytes are compared by SHA-1 only
    }
    return { ok: true, run: { frames, maps, events, ...(leftBytes ? { leftBytes } : {}) }, exitCode: r.code, stderr: r.stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const firstLine = (s: string): string => s.split('\n').find((l) => l.trim().length > 0)?.trim() ?? '';
