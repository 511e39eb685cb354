/**
 * Verification time next to the kernel's own (issue 4: "verify time per program as a ratio to the kernel's
 * own on the same object, target ≤ 1× on the largest"). For every XDP program of every programs/*.o, and the
 * largest kernel-accepted programs of the verifier corpus (test/verifier/corpus/), it measures our verify()
 * in process CPU time (median of `--runs` after `--warmup` rounds over every program, so V8 has tiered the
 * verifier up as in a daemon that has verified before) with processed instructions and stored states, and
 * loads the same object into the kernel through the oracle (`kernelVerify`) `--kernel-runs` times for the
 * median of its `verification time N usec` and its `processed N insns`. Ratios are ours / the kernel's.
 * Prints a table and writes bench/results/verifier-<ISO time>.json. Without the kernel (not root, no bpf())
 * the kernel columns are empty and the reason is printed.
 *
 *   node dist/bench/verifier-times.js [--runs N] [--warmup N] [--kernel-runs N] [--corpus N] [--only NAME]
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseObject } from '../src/ebpf/loader.js';
import type { ObjectSpec, ProgramSpec } from '../src/ebpf/object-spec.js';
import { kernelAvailable, kernelVerify } from '../src/oracle/index.js';
import { verify, VerifierError } from '../src/verifier/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROGRAMS = join(ROOT, 'programs');
const CORPUS = join(ROOT, 'test', 'verifier', 'corpus');

interface Row {
  readonly object: string;
  readonly program: string;
  readonly insns: number;
  /** Our verdict (true = accepted); a rejected program is timed up to its rejection. */
  readonly accepted: boolean;
  readonly processed: number;
  readonly states: number;
  readonly ourUs: number;
  readonly kernelAccepted: boolean | null;
  readonly kernelProcessed: number | null;
  readonly kernelUs: number | null;
  /** ourUs / kernelUs. */
  readonly timeRatio: number | null;
  /** our processed / the kernel's processed. */
  readonly processedRatio: number | null;
  /** Our CPU time per processed instruction, ns. */
  readonly nsPerInsn: number;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function cpuUs(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

/** One verify() in process CPU µs, with its figures; a rejection is a result too. */
function timeOnce(p: ProgramSpec, obj: ObjectSpec): { us: number; accepted: boolean; processed: number; states: number } {
  const t0 = cpuUs();
  try {
    const v = verify(p, obj, {});
    return { us: cpuUs() - t0, accepted: true, processed: v.processed, states: v.states };
  } catch (e) {
    if (!(e instanceof VerifierError)) throw e;
    return { us: cpuUs() - t0, accepted: false, processed: -1, states: -1 };
  }
}

/**
 * process.cpuUsage() ticks in whole µs from a clock with coarser real resolution: a program that verifies in
 * tens of µs is timed over enough back-to-back runs to make one sample at least ~2 ms.
 */
function ourTime(p: ProgramSpec, obj: ObjectSpec, runs: number): { us: number; accepted: boolean; processed: number; states: number } {
  const first = timeOnce(p, obj);
  const reps = Math.max(1, Math.min(1000, Math.ceil(2000 / Math.max(first.us, 1))));
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = cpuUs();
    for (let i = 0; i < reps; i++) timeOnce(p, obj);
    samples.push((cpuUs() - t0) / reps);
  }
  return { ...first, us: median(samples) };
}

async function kernelTime(path: string, prog: string, runs: number): Promise<{ accepted: boolean; processed: number; us: number } | null> {
  const times: number[] = [];
  let last;
  for (let r = 0; r < runs; r++) {
    last = await kernelVerify(path, { prog });
    if (last.verificationTimeUs >= 0) times.push(last.verificationTimeUs);
  }
  if (!last) return null;
  return { accepted: last.accepted, processed: last.processedInsns, us: times.length ? median(times) : -1 };
}

/** The corpus programs the kernel accepts by default, largest (most instructions) first. */
function largestCorpus(n: number): string[] {
  if (n <= 0) return [];
  const labels = JSON.parse(readFileSync(join(CORPUS, 'labels.json'), 'utf8')) as { programs: Record<string, { default: boolean }> };
  return Object.entries(labels.programs)
    .filter(([, l]) => l.default)
    .map(([name]) => ({ name, size: parseObject(readFileSync(join(CORPUS, `${name}.o`))).programs.reduce((a, p) => a + p.insns.length, 0) }))
    .sort((a, b) => b.size - a.size)
    .slice(0, n)
    .map((e) => join(CORPUS, `${e.name}.o`));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '7' }, warmup: { type: 'string', default: '5' },
      'kernel-runs': { type: 'string', default: '5' }, corpus: { type: 'string', default: '8' }, only: { type: 'string' },
    },
  });
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  const kernelRuns = Number(values['kernel-runs']);
  const kernel = await kernelAvailable();
  if (!kernel.ok) process.stderr.write(`kernel columns empty: ${kernel.reason}\n`);
  const files = [
    ...readdirSync(PROGRAMS).filter((f) => f.endsWith('.o')).sort().map((f) => join(PROGRAMS, f)),
    ...largestCorpus(Number(values.corpus)),
  ].filter((f) => values.only === undefined || f.includes(values.only));
  const objects = files.map((path) => ({ path, obj: parseObject(readFileSync(path)) }));
  // Warm-up over every program first: V8 tiers the verifier up on the mix, as in a daemon that has verified
  // other programs before (warming each program just before its own timing favoured the later ones).
  for (let i = 0; i < warmup; i++) for (const { obj } of objects) for (const p of obj.programs) timeOnce(p, obj);
  const rows: Row[] = [];
  for (const { path, obj } of objects) {
    for (const p of obj.programs) {
      const ours = ourTime(p, obj, runs);
      const k = kernel.ok ? await kernelTime(path, p.name, kernelRuns) : null;
      const kUs = k && k.us > 0 ? k.us : null;
      rows.push({
        object: path.slice(ROOT.length + 1), program: p.name, insns: p.insns.length,
        accepted: ours.accepted, processed: ours.processed, states: ours.states, ourUs: Math.round(ours.us * 10) / 10,
        kernelAccepted: k ? k.accepted : null, kernelProcessed: k ? k.processed : null, kernelUs: kUs,
        timeRatio: kUs ? ours.us / kUs : null,
        processedRatio: k && k.processed > 0 && ours.processed > 0 ? ours.processed / k.processed : null,
        nsPerInsn: ours.processed > 0 ? (ours.us * 1000) / ours.processed : 0,
      });
    }
  }
  const fmt = (x: number | null, d = 2): string => (x === null ? '-' : x.toFixed(d));
  const header = ['object', 'program', 'insns', 'ok', 'processed', 'states', 'our µs', 'ns/insn', 'k ok', 'k processed', 'k µs', 'time ×', 'proc ×'];
  const lines = rows.map((r) => [
    r.object, r.program, String(r.insns), r.accepted ? 'y' : 'n', String(r.processed), String(r.states), r.ourUs.toFixed(1), r.nsPerInsn.toFixed(0),
    r.kernelAccepted === null ? '-' : r.kernelAccepted ? 'y' : 'n', r.kernelProcessed === null ? '-' : String(r.kernelProcessed),
    r.kernelUs === null ? '-' : String(r.kernelUs), fmt(r.timeRatio), fmt(r.processedRatio),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const print = (cols: string[]): void => { process.stdout.write(`${cols.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`); };
  print(header);
  for (const l of lines) print(l);
  const withK = rows.filter((r) => r.timeRatio !== null && r.accepted);
  const sumOurs = withK.reduce((a, r) => a + r.ourUs, 0);
  const sumK = withK.reduce((a, r) => a + r.kernelUs!, 0);
  const geomean = withK.length ? Math.exp(withK.reduce((a, r) => a + Math.log(r.timeRatio!), 0) / withK.length) : null;
  const largest = [...rows].filter((r) => r.timeRatio !== null).sort((a, b) => (b.kernelProcessed ?? 0) - (a.kernelProcessed ?? 0))[0];
  const summary = {
    programs: rows.length, withKernel: withK.length, ourTotalUs: Math.round(sumOurs), kernelTotalUs: sumK,
    totalRatio: sumK ? sumOurs / sumK : null, geomeanRatio: geomean,
    largest: largest ? { program: `${largest.object}:${largest.program}`, kernelProcessed: largest.kernelProcessed, timeRatio: largest.timeRatio } : null,
  };
  process.stdout.write(`\ntotal (accepted, with kernel figures): ours ${summary.ourTotalUs} µs, kernel ${sumK} µs, ratio ${fmt(summary.totalRatio)}; geomean ratio ${fmt(geomean)}\n`);
  if (largest) process.stdout.write(`largest (by kernel processed insns): ${summary.largest!.program} ratio ${fmt(largest.timeRatio)}\n`);
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `verifier-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({
    when: new Date().toISOString(), node: process.version, loadavg: loadavg(), kernel: kernel.ok ? kernel.kernel : null,
    kernelSkipReason: kernel.ok ? undefined : kernel.reason, runs, warmup, kernelRuns, rows, summary,
  }, null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
}

await main();
