/**
 * design.md §4b: every programs/*.o XDP program × every pcaps/*.pcap{,ng}, through the kernel (BPF_PROG_TEST_RUN
 * on CPU 0) and through each xdpjit engine (`xdpjit run`), compared frame by frame and entry by entry.
 *
 * XDPJIT_DIFF_ENGINES=interp,jit picks the engines (default: both; an engine `xdpjit run` refuses on the
 * simplest program is reported and left out; `kernel` compares the kernel with itself, a check of the
 * exclusion policy). XDPJIT_DIFF_PROGRAMS=a,b restricts the programs; XDPJIT_DIFF_PCAPS=DIR reads the
 * captures from DIR instead of pcaps/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import {
  buildOracle,
  compareRuns,
  describeMismatch,
  encodeClassicPcap,
  kernelAvailable,
  KernelLoadError,
  policyFor,
  runKernel,
  type CompareReport,
  type KernelRunResult,
  type Mismatch,
} from '../../src/oracle/index.js';
import { readCapture, requireEthernet } from '../../src/dataplane/capture/index.js';
import { POLICY_OVERRIDES } from './policy-overrides.js';
import { REPO_ROOT, runXdpjit } from './xdpjit-cli.js';

const execFileP = promisify(execFile);
const PROGRAMS_DIR = join(REPO_ROOT, 'programs');
const PCAPS_DIR = process.env.XDPJIT_DIFF_PCAPS ?? join(REPO_ROOT, 'pcaps');
/* One oracle or xdpjit process per core. */
const PARALLEL = 2;
/* linux/if_ether.h: BPF_PROG_TEST_RUN refuses XDP input shorter than this. */
const ETH_HLEN = 14;

/** A capture as both sides run it. */
interface RunnableCapture {
  readonly name: string;
  /** The file both sides read: a classic pcap of the original's frames that the kernel accepts. */
  readonly path: string;
  readonly inputLengths: readonly number[];
  /** Index in the original capture of each frame of `path`. */
  readonly originalIndex: readonly number[];
  readonly removed: number;
}

interface Case {
  readonly obj: string;
  readonly prog: string;
  readonly capture: RunnableCapture;
  readonly mapsFile?: string;
}

type Outcome =
  | { readonly kind: 'compared'; readonly engine: string; readonly report: CompareReport }
  | { readonly kind: 'failed'; readonly engine: string; readonly reason: string }
  | { readonly kind: 'skipped'; readonly engine: string; readonly reason: string };

interface CaseResult {
  readonly c: Case;
  readonly outcomes: readonly Outcome[];
}

function listFiles(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => join(dir, f));
}

async function xdpPrograms(obj: string): Promise<string[]> {
  const { stdout } = await execFileP(await buildOracle(), [obj, '--list']);
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => String((JSON.parse(l) as { name: string }).name));
}

async function pool<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const k = next++;
        results[k] = await work(items[k] as T);
      }
    }),
  );
  return results;
}

/** Engines `xdpjit run` accepts, each probed on the simplest program with the first capture. */
async function usableEngines(requested: readonly string[], pcap: string): Promise<{ engines: string[]; refused: string[] }> {
  const engines: string[] = [];
  const refused: string[] = [];
  for (const engine of requested) {
    const r = await runXdpjit({ obj: join(PROGRAMS_DIR, 'xdp_pass.o'), prog: 'xdp_pass', pcap, engine });
    // Only a refusal (exit 2: no such engine) leaves it out; an engine that fails is compared, and fails.
    if (r.ok || !r.refused) engines.push(engine);
    else refused.push(`${engine}: ${r.reason}`);
  }
  return { engines, refused };
}

/**
 * The captures worth comparing: Ethernet pcap and pcapng files (others are refused by both sides, which the
 * capture and CLI tests cover), each distinct frame sequence once (mixed.be.pcap, mixed.ns.pcap and
 * mixed.pcapng hold mixed.pcap's frames). Both sides read one classic pcap of each, without the frames under
 * ETH_HLEN: the kernel refuses them, and their effect on xdpjit's maps would otherwise make every later map
 * comparison moot (§4b: not compared).
 */
async function distinctCaptures(paths: readonly string[], workDir: string): Promise<{ captures: RunnableCapture[]; notes: string[] }> {
  const captures: RunnableCapture[] = [];
  const notes: string[] = [];
  const seen = new Map<string, string>();
  // Plain names first, so a duplicate's report names its variant (mixed.be.pcap), not the original.
  const dots = (p: string): number => basename(p).split('.').length;
  for (const path of [...paths].sort((a, b) => dots(a) - dots(b) || (a < b ? -1 : 1))) {
    const name = basename(path);
    let frames: Uint8Array[];
    try {
      frames = requireEthernet(readCapture(await readFile(path))).frames.map((f) => f.data);
    } catch (err) {
      notes.push(`${name}: not compared, ${(err as Error).message}`);
      continue;
    }
    const digest = createHash('sha1');
    for (const f of frames) digest.update(`${f.length}:`).update(f);
    const key = digest.digest('hex');
    const same = seen.get(key);
    if (same) {
      notes.push(`${name}: same frames as ${same}`);
      continue;
    }
    seen.set(key, name);
    const originalIndex = frames.flatMap((f, i) => (f.length >= ETH_HLEN ? [i] : []));
    const removed = frames.length - originalIndex.length;
    if (removed > 0) notes.push(`${name}: ${removed} frame(s) under ${ETH_HLEN} bytes left out (the kernel refuses them); frame numbers below are the original ones`);
    const runPath = join(workDir, `${captures.length}-${name}.pcap`);
    await writeFile(runPath, encodeClassicPcap(originalIndex.map((i) => frames[i] as Uint8Array)));
    const inputLengths = originalIndex.map((i) => (frames[i] as Uint8Array).length);
    captures.push({ name, path: runPath, inputLengths, originalIndex, removed });
  }
  return { captures, notes };
}

/** A mismatch with the frame number of the original capture. */
function inOriginalNumbers(m: Mismatch, capture: RunnableCapture): Mismatch {
  return m.kind === 'frame' ? { ...m, i: capture.originalIndex[m.i] ?? m.i } : m;
}

async function runCase(c: Case, engines: readonly string[], possibleCpus: number): Promise<CaseResult> {
  let kernel: KernelRunResult;
  try {
    kernel = await runKernel(c.obj, c.capture.path, { prog: c.prog, dumpMaps: true, ...(c.mapsFile ? { mapsFile: c.mapsFile } : {}) });
  } catch (err) {
    const reason = err instanceof KernelLoadError ? `the kernel refuses to load it: ${err.message}` : `kernel oracle failed: ${(err as Error).message}`;
    return { c, outcomes: engines.map((engine) => ({ kind: 'skipped', engine, reason })) };
  }
  const policy = policyFor(kernel.program, POLICY_OVERRIDES, kernel.mapInfo);
  const outcomes: Outcome[] = [];
  for (const engine of engines) {
    const x = await runXdpjit({ obj: c.obj, prog: c.prog, pcap: c.capture.path, engine, ...(c.mapsFile ? { mapsFile: c.mapsFile } : {}) });
    if (!x.ok) {
      outcomes.push(x.refused ? { kind: 'skipped', engine, reason: `xdpjit refuses it: ${x.reason}` } : { kind: 'failed', engine, reason: x.reason });
      continue;
    }
    outcomes.push({ kind: 'compared', engine, report: compareRuns({ kernel, xdpjit: x.run, inputLengths: c.capture.inputLengths, policy, possibleCpus }) });
  }
  return { c, outcomes };
}

function summaryTable(results: readonly CaseResult[]): string {
  const rows: string[][] = [['program', 'pcap', 'engine', 'frames', 'map entries', 'mismatches', 'notes']];
  for (const { c, outcomes } of results) {
    for (const o of outcomes) {
      const head = [c.prog, c.capture.name, o.engine];
      if (o.kind !== 'compared') rows.push([...head, '-', '-', o.kind, o.reason.slice(0, 120)]);
      else rows.push([...head, String(o.report.framesCompared), String(o.report.mapEntriesCompared), String(o.report.mismatches.length), o.report.notes.join('; ')]);
    }
  }
  // The last column (notes) is free text: every other column is padded to its widest cell.
  const widths = (rows[0] as string[]).map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  const last = widths.length - 1;
  return rows.map((r) => r.map((cell, col) => (col === last ? cell : cell.padEnd(widths[col] as number))).join('  ')).join('\n');
}

test('differential: kernel BPF_PROG_TEST_RUN vs xdpjit, every program × capture', async (t) => {
  const k = await kernelAvailable();
  if (!k.ok) {
    t.skip(`kernel oracle unavailable: ${k.reason}`);
    return;
  }
  const objects = listFiles(PROGRAMS_DIR, '.o');
  const workDir = await mkdtemp(join(tmpdir(), 'xdpjit-differential-'));
  t.after(() => rm(workDir, { recursive: true, force: true }));
  const { captures, notes } = await distinctCaptures([...listFiles(PCAPS_DIR, '.pcap'), ...listFiles(PCAPS_DIR, '.pcapng')], workDir);
  for (const n of notes) t.diagnostic(n);
  if (objects.length === 0 || captures.length === 0) {
    t.skip(`nothing to compare: ${objects.length} objects in programs/, ${captures.length} captures in pcaps/`);
    return;
  }
  const requested = (process.env.XDPJIT_DIFF_ENGINES ?? 'interp,jit').split(',').map((s) => s.trim()).filter(Boolean);
  const { engines, refused } = await usableEngines(requested, (captures[0] as RunnableCapture).path);
  for (const r of refused) t.diagnostic(`engine left out: ${r}`);
  if (engines.length === 0) {
    t.skip(`no xdpjit engine runs xdp_pass.o (${refused.join('; ')})`);
    return;
  }
  const only = process.env.XDPJIT_DIFF_PROGRAMS?.split(',').map((s) => s.trim());
  const cases: Case[] = [];
  for (const obj of objects) {
    const maps = obj.replace(/\.o$/, '.maps');
    for (const prog of await xdpPrograms(obj)) {
      if (only && !only.includes(prog)) continue;
      for (const capture of captures) cases.push({ obj, prog, capture, ...(existsSync(maps) ? { mapsFile: maps } : {}) });
    }
  }
  const results = await pool(cases, PARALLEL, (c) => runCase(c, engines, k.possibleCpus));
  t.diagnostic(`kernel ${k.kernel}, engines ${engines.join(', ')}`);
  // One diagnostic per row: reporters escape newlines inside a diagnostic.
  for (const row of summaryTable(results).split('\n')) t.diagnostic(row);

  for (const { c, outcomes } of results) {
    for (const o of outcomes) {
      if (o.kind === 'skipped') continue;
      await t.test(`${c.prog} × ${c.capture.name} [${o.engine}]`, () => {
        if (o.kind === 'failed') assert.fail(`xdpjit run --engine ${o.engine} failed on ${basename(c.obj)}: ${o.reason}`);
        const { mismatches } = o.report;
        if (mismatches.length === 0) return;
        const first = mismatches.slice(0, 5).map((m) => describeMismatch(inOriginalNumbers(m, c.capture))).join('\n  ');
        assert.fail(`${mismatches.length} mismatch(es) between the kernel and xdpjit --engine ${o.engine} (${basename(c.obj)}${c.mapsFile ? ` with ${basename(c.mapsFile)}` : ''}), first:\n  ${first}`);
      });
    }
  }
});
