/**
 * design.md §4b: every programs/*.o XDP program × every pcaps/*.pcap, through the kernel (BPF_PROG_TEST_RUN
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
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import {
  buildOracle,
  compareRuns,
  decodeClassicPcap,
  describeMismatch,
  kernelAvailable,
  KernelLoadError,
  policyFor,
  runKernel,
  type ClassicPcap,
  type CompareReport,
  type KernelRunResult,
} from '../../src/oracle/index.js';
import { POLICY_OVERRIDES } from './policy-overrides.js';
import { REPO_ROOT, runXdpjit } from './xdpjit-cli.js';

const execFileP = promisify(execFile);
const PROGRAMS_DIR = join(REPO_ROOT, 'programs');
const PCAPS_DIR = process.env.XDPJIT_DIFF_PCAPS ?? join(REPO_ROOT, 'pcaps');
/* One oracle or xdpjit process per core. */
const PARALLEL = 2;
const LINKTYPE_ETHERNET = 1;

interface Case {
  readonly obj: string;
  readonly prog: string;
  readonly pcap: string;
  readonly mapsFile?: string;
}

type Outcome =
  | { readonly kind: 'compared'; readonly engine: string; readonly report: CompareReport }
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
    if (r.ok) engines.push(engine);
    else refused.push(`${engine}: ${r.reason}`);
  }
  return { engines, refused };
}

/**
 * The captures worth comparing: Ethernet classic pcaps (others are refused by both sides, which the CLI
 * tests cover), each distinct frame sequence once (mixed.be.pcap and mixed.ns.pcap hold mixed.pcap's frames).
 */
async function distinctCaptures(paths: readonly string[]): Promise<{ pcaps: string[]; notes: string[] }> {
  const pcaps: string[] = [];
  const notes: string[] = [];
  const seen = new Map<string, string>();
  // Plain names first, so a duplicate's report names its variant (mixed.be.pcap), not the original.
  const dots = (p: string): number => basename(p).split('.').length;
  for (const path of [...paths].sort((a, b) => dots(a) - dots(b) || (a < b ? -1 : 1))) {
    let capture: ClassicPcap;
    try {
      capture = decodeClassicPcap(await readFile(path));
    } catch (err) {
      notes.push(`${basename(path)}: not compared, ${(err as Error).message}`);
      continue;
    }
    if (capture.linkType !== LINKTYPE_ETHERNET) {
      notes.push(`${basename(path)}: not compared, link type ${capture.linkType} is not Ethernet`);
      continue;
    }
    const digest = createHash('sha1');
    for (const f of capture.frames) digest.update(`${f.length}:`).update(f);
    const key = digest.digest('hex');
    const same = seen.get(key);
    if (same) {
      notes.push(`${basename(path)}: same frames as ${same}`);
      continue;
    }
    seen.set(key, basename(path));
    pcaps.push(path);
  }
  return { pcaps, notes };
}

async function runCase(c: Case, engines: readonly string[], possibleCpus: number): Promise<CaseResult> {
  let kernel: KernelRunResult;
  try {
    kernel = await runKernel(c.obj, c.pcap, { prog: c.prog, dumpMaps: true, ...(c.mapsFile ? { mapsFile: c.mapsFile } : {}) });
  } catch (err) {
    const reason = err instanceof KernelLoadError ? `the kernel refuses to load it: ${err.message}` : `kernel oracle failed: ${(err as Error).message}`;
    return { c, outcomes: engines.map((engine) => ({ kind: 'skipped', engine, reason })) };
  }
  const inputLengths = decodeClassicPcap(await readFile(c.pcap)).frames.map((f) => f.length);
  const policy = policyFor(kernel.program, POLICY_OVERRIDES);
  const outcomes: Outcome[] = [];
  for (const engine of engines) {
    const x = await runXdpjit({ ...c, engine });
    if (!x.ok) {
      outcomes.push({ kind: 'skipped', engine, reason: `xdpjit refuses it: ${x.reason}` });
      continue;
    }
    outcomes.push({ kind: 'compared', engine, report: compareRuns({ kernel, xdpjit: x.run, inputLengths, policy, possibleCpus }) });
  }
  return { c, outcomes };
}

function summaryTable(results: readonly CaseResult[]): string {
  const rows: string[][] = [['program', 'pcap', 'engine', 'frames', 'map entries', 'mismatches', 'notes']];
  for (const { c, outcomes } of results) {
    for (const o of outcomes) {
      const head = [c.prog, basename(c.pcap), o.engine];
      if (o.kind === 'skipped') rows.push([...head, '-', '-', 'skipped', o.reason.slice(0, 120)]);
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
  const { pcaps, notes } = await distinctCaptures(listFiles(PCAPS_DIR, '.pcap'));
  for (const n of notes) t.diagnostic(n);
  if (objects.length === 0 || pcaps.length === 0) {
    t.skip(`nothing to compare: ${objects.length} objects in programs/, ${pcaps.length} captures in pcaps/`);
    return;
  }
  const requested = (process.env.XDPJIT_DIFF_ENGINES ?? 'interp,jit').split(',').map((s) => s.trim()).filter(Boolean);
  const { engines, refused } = await usableEngines(requested, pcaps[0] as string);
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
      for (const pcap of pcaps) cases.push({ obj, prog, pcap, ...(existsSync(maps) ? { mapsFile: maps } : {}) });
    }
  }
  const results = await pool(cases, PARALLEL, (c) => runCase(c, engines, k.possibleCpus));
  t.diagnostic(`kernel ${k.kernel}, engines ${engines.join(', ')}`);
  // One diagnostic per row: reporters escape newlines inside a diagnostic.
  for (const row of summaryTable(results).split('\n')) t.diagnostic(row);

  for (const { c, outcomes } of results) {
    for (const o of outcomes) {
      if (o.kind !== 'compared') continue;
      await t.test(`${c.prog} × ${basename(c.pcap)} [${o.engine}]`, () => {
        const { mismatches } = o.report;
        if (mismatches.length === 0) return;
        const first = mismatches.slice(0, 5).map(describeMismatch).join('\n  ');
        assert.fail(`${mismatches.length} mismatch(es) between the kernel and xdpjit --engine ${o.engine} (${basename(c.obj)}${c.mapsFile ? ` with ${basename(c.mapsFile)}` : ''}), first:\n  ${first}`);
      });
    }
  }
});
