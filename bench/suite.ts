/**
 * `npm run bench`: every XDP program of every programs/*.o (with its NAME.maps fill when there is one) over
 * pcaps/flood64.pcap and pcaps/mixed.pcap, through `xdpjit bench`'s library (src/bench/bench-run.ts): JIT
 * and interpreter each beside its XDP_PASS floor, the kernel beside its own, all measured in this one run so
 * the ratios compare figures taken side by side on this shared machine. Programs the runtime or the JIT
 * cannot load yet are listed with the reason. Prints the ratio table and the geometric means (marginal ratio
 * over the cases whose kernel marginal is at least 2 ns, so that the kernel's whole-ns timer does not decide
 * them; end-to-end over every case with a kernel figure), and writes bench/results/suite-<ISO time>.json and
 * the chart bench/results/suite-<ISO time>.svg.
 *
 *   node dist/bench/suite.js [--ms WINDOW_PER_CASE] [--only NAME[,NAME...]]
 *
 * XDPJIT_BENCH_MS also sets the window; XDPJIT_NO_KERNEL=1 leaves the kernel out;
 * XDPJIT_BENCH_RESULTS_DIR writes the results elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchObject, ratio, type BenchReport } from '../src/bench/bench-run.js';
import { parseObject } from '../src/ebpf/loader.js';
import { kernelAvailable } from '../src/oracle/index.js';
import { renderChart, type ChartPanel } from './chart.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CAPTURES = ['flood64.pcap', 'mixed.pcap'] as const;
const XDP_KINDS: ReadonlySet<string> = new Set(['xdp', 'xdp.frags']);
/** Measurement cap per case (program × capture, both engines and their floors), ms. */
const DEFAULT_WINDOW_MS = 600;
/** Cases whose kernel marginal is under this are left out of the marginal geomean. */
export const MIN_KERNEL_MARGINAL_NS = 2;

interface Case {
  readonly object: string;
  readonly program: string;
  readonly capture: string;
  readonly report: BenchReport;
  readonly interpRatio: { readonly endToEnd: number | null; readonly marginal: number | null };
  readonly faults: readonly string[];
  readonly unstable: readonly string[];
}

interface Skipped {
  readonly object: string;
  readonly program: string;
  readonly capture?: string;
  readonly reason: string;
}

/** Geometric mean of the positive finite values; `n` used, `excluded` left out for not being positive. */
export function geomean(xs: readonly (number | null)[]): { value: number | null; n: number; excluded: number } {
  const finite = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  const pos = finite.filter((x) => x > 0);
  const value = pos.length > 0 ? Math.exp(pos.reduce((s, x) => s + Math.log(x), 0) / pos.length) : null;
  return { value, n: pos.length, excluded: finite.length - pos.length };
}

function engineFigures(c: Case, engine: 'jit' | 'interp'): BenchReport['results'][number] | undefined {
  return c.report.results.find((r) => r.engine === engine);
}

/** The marginal ratio of `engine` where the kernel marginal is large enough to be compared. */
function comparableMarginal(c: Case, engine: 'jit' | 'interp'): number | null {
  const k = c.report.kernel;
  if (!('marginalNsPerPacket' in k) || k.marginalNsPerPacket < MIN_KERNEL_MARGINAL_NS) return null;
  return engine === 'jit' ? c.report.ratio.marginal : c.interpRatio.marginal;
}

export function summarise(cases: readonly Case[]): Record<'jit' | 'interp', { marginal: ReturnType<typeof geomean>; endToEnd: ReturnType<typeof geomean> }> {
  const one = (engine: 'jit' | 'interp') => ({
    marginal: geomean(cases.map((c) => comparableMarginal(c, engine))),
    endToEnd: geomean(cases.map((c) => (engine === 'jit' ? c.report.ratio.endToEnd : c.interpRatio.endToEnd))),
  });
  return { jit: one('jit'), interp: one('interp') };
}

const f = (x: number | null | undefined, d = 1): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

function tableRow(c: Case): string {
  const j = engineFigures(c, 'jit');
  const i = engineFigures(c, 'interp');
  const k = 'nsPerPacket' in c.report.kernel ? c.report.kernel : undefined;
  return [
    c.capture.replace('.pcap', '').padEnd(8), c.program.padEnd(18),
    f(j?.nsPerPacket).padStart(8), f(k?.nsPerPacket).padStart(8), f(c.report.ratio.endToEnd, 2).padStart(6),
    f(j?.marginalNsPerPacket).padStart(8), f(k?.marginalNsPerPacket).padStart(8), f(c.report.ratio.marginal, 2).padStart(6),
    f(i?.nsPerPacket, 0).padStart(9), f(c.interpRatio.endToEnd, 1).padStart(7), f(c.interpRatio.marginal, 1).padStart(7),
    `${c.faults.length ? ' FAULTS' : ''}${c.unstable.length ? ' ~' : ''}`,
  ].join(' ');
}

const TABLE_HEAD = `${'capture'.padEnd(8)} ${'program'.padEnd(18)} ${'jit ns'.padStart(8)} ${'kern ns'.padStart(8)} ${'e2e'.padStart(6)} ${'jit marg'.padStart(8)} ${'kern mrg'.padStart(8)} ${'marg'.padStart(6)} ${'interp ns'.padStart(9)} ${'i e2e'.padStart(7)} ${'i marg'.padStart(7)}`;

/** The commit measured, and the source files that differed from it (figures of a dirty tree say so). */
function sourceVersion(): { commit: string | null; modified: string[] } {
  try {
    const git = (...args: string[]): string => execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return {
      commit: git('rev-parse', 'HEAD').trim(),
      modified: git('status', '--porcelain', '--', 'src', 'jit').split('\n').filter(Boolean).map((l) => l.slice(3)),
    };
  } catch {
    return { commit: null, modified: [] };
  }
}

function programsOf(objectPath: string): string[] {
  return parseObject(readFileSync(objectPath)).programs.filter((p) => XDP_KINDS.has(p.kind)).map((p) => p.name);
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ms: { type: 'string' }, only: { type: 'string' } } });
  const windowMs = Number(values.ms ?? process.env.XDPJIT_BENCH_MS ?? DEFAULT_WINDOW_MS);
  if (!(windowMs > 0)) throw new RangeError(`--ms must be a positive number of ms, got '${values.ms}'`);
  const only = values.only ? new Set(values.only.split(',')) : undefined;
  const kernel = process.env.XDPJIT_NO_KERNEL ? { ok: false as const, reason: 'XDPJIT_NO_KERNEL is set' } : await kernelAvailable();
  const kernelSkipReason = kernel.ok ? undefined : kernel.reason;
  const started = new Date();
  const t0 = performance.now();

  const programsDir = join(ROOT, 'programs');
  const cases: Case[] = [];
  const skipped: Skipped[] = [];
  const objects = readdirSync(programsDir).filter((n) => n.endsWith('.o')).sort();
  for (const file of objects) {
    const object = join(programsDir, file);
    const mapsPath = object.replace(/\.o$/, '.maps');
    const maps = existsSync(mapsPath) ? mapsPath : undefined;
    let programs: string[];
    try {
      programs = programsOf(object);
    } catch (e) {
      skipped.push({ object: file, program: '*', reason: (e as Error).message.split('\n')[0]! });
      continue;
    }
    for (const program of programs.filter((p) => !only || only.has(p))) {
      for (const capture of CAPTURES) {
        process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s ${program} on ${capture}\n`);
        try {
          const { report, details } = await benchObject({
            object, pcap: join(ROOT, 'pcaps', capture), program, engines: ['jit', 'interp'], windowMs, kernelRounds: 3,
            ...(maps !== undefined ? { maps } : {}),
            ...(kernelSkipReason !== undefined ? { kernelSkipReason } : {}),
          });
          const interp = report.results.find((r) => r.engine === 'interp');
          const k = report.kernel;
          cases.push({
            object: file, program, capture, report,
            interpRatio: interp && 'nsPerPacket' in k
              ? { endToEnd: ratio(interp.nsPerPacket, k.nsPerPacket), marginal: ratio(interp.marginalNsPerPacket, k.marginalNsPerPacket) }
              : { endToEnd: null, marginal: null },
            faults: details.faults.map((x) => `${x.engine}: ${x.errors} frame(s) faulted${x.firstError ? ` (${x.firstError})` : ''}`),
            unstable: details.measured.filter((m) => !m.m.stable).map((m) => `${m.engine} ${m.subject}`),
          });
          if ('skipReason' in k && kernelSkipReason === undefined) skipped.push({ object: file, program, capture, reason: `kernel: ${k.skipReason}` });
        } catch (e) {
          // The runtime or the JIT cannot run it yet (unsupported map type or helper, compile error...).
          skipped.push({ object: file, program, capture, reason: `${(e as Error).name}: ${(e as Error).message.split('\n')[0]}` });
        }
      }
    }
  }

  const summary = summarise(cases);
  const out: string[] = [];
  out.push(`xdpjit bench suite, ${started.toISOString()}, node ${process.version}, ${kernel.ok ? `kernel ${kernel.kernel}` : `no kernel: ${kernel.reason}`}`);
  out.push(`window ${windowMs} ms per case; ns/packet; marginal = minus the same side's XDP_PASS floor; ratios ours/kernel; ~ = not stable within the window`);
  out.push(TABLE_HEAD);
  for (const c of cases) out.push(tableRow(c));
  const g = (x: ReturnType<typeof geomean>): string => `${f(x.value, 2)} over ${x.n}${x.excluded ? ` (${x.excluded} non-positive left out)` : ''}`;
  out.push('');
  out.push(`geomean JIT/kernel: marginal ${g(summary.jit.marginal)} cases with kernel marginal ≥ ${MIN_KERNEL_MARGINAL_NS} ns; end-to-end ${g(summary.jit.endToEnd)}`);
  out.push(`geomean interpreter/kernel: marginal ${g(summary.interp.marginal)}; end-to-end ${g(summary.interp.endToEnd)}`);
  const byCapture = Object.fromEntries(CAPTURES.map((capture) => [capture, summarise(cases.filter((c) => c.capture === capture))]));
  for (const [capture, s] of Object.entries(byCapture)) {
    out.push(`  ${capture}: JIT/kernel marginal ${g(s.jit.marginal)}, end-to-end ${g(s.jit.endToEnd)}`);
  }
  if (skipped.length) {
    out.push('', 'skipped:');
    for (const s of skipped) out.push(`  ${s.program} (${s.object}${s.capture ? `, ${s.capture}` : ''}): ${s.reason}`);
  }
  for (const c of cases) for (const x of c.faults) out.push(`fault: ${c.program} on ${c.capture}: ${x}`);
  process.stdout.write(`${out.join('\n')}\n`);

  const dir = process.env.XDPJIT_BENCH_RESULTS_DIR ?? join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stem = `suite-${started.toISOString().replace(/[:.]/g, '-')}`;
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(join(dir, `${stem}.json`), `${JSON.stringify({
    bench: 'suite', date: started.toISOString(), seconds, node: process.version, source: sourceVersion(),
    kernel: kernel.ok ? kernel.kernel : null, kernelSkipReason: kernelSkipReason ?? null, windowMs,
    command: `node dist/bench/suite.js ${argv.join(' ')}`.trim(), minKernelMarginalNs: MIN_KERNEL_MARGINAL_NS,
    geomean: summary, geomeanByCapture: byCapture, cases, skipped,
  }, null, 2)}\n`);
  const panels: ChartPanel[] = CAPTURES.map((capture) => ({
    title: `${capture}: xdpjit JIT (blue) vs kernel BPF_PROG_TEST_RUN (orange)`,
    rows: cases.filter((c) => c.capture === capture).map((c) => {
      const j = engineFigures(c, 'jit')!;
      const k = c.report.kernel;
      return {
        label: c.program, ours: j, marginalRatio: c.report.ratio.marginal, endToEndRatio: c.report.ratio.endToEnd,
        ...('nsPerPacket' in k ? { kernel: k } : {}),
      };
    }),
  }));
  const subtitle = [
    `${started.toISOString()}, node ${process.version}, ${kernel.ok ? `kernel ${kernel.kernel}` : `no kernel: ${kernel.reason}`}; log scale; window ${windowMs} ms per case`,
    `geomean JIT/kernel: marginal ${f(summary.jit.marginal.value, 2)} (${summary.jit.marginal.n} cases with kernel marginal ≥ ${MIN_KERNEL_MARGINAL_NS} ns), end-to-end ${f(summary.jit.endToEnd.value, 2)} (${summary.jit.endToEnd.n})`,
  ];
  writeFileSync(join(dir, `${stem}.svg`), renderChart('xdpjit bench suite: ns/packet, JIT vs kernel', panels, subtitle));
  process.stderr.write(`suite: ${cases.length} cases in ${seconds.toFixed(0)} s; results in ${join(dir, `${stem}.json`)} and .svg (${basename(dir)}/)\n`);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
