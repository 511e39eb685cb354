/**
 * JIT compile speed (design.md §3 target: tier 1 — build + V8 compile + instantiate, no optimisation — ≤ 10 ms
 * for 2,000 instructions). Tier 1 is the direct wasm encoder; the Binaryen backend is shown at -O0 (its
 * Relooper, no passes) and -O1..3. Figures are medians after `--warmup` compiles of the same program (the
 * compiler's own JS warmed up, as in a daemon that has compiled before), plus the very first compile; wall
 * and process CPU time (CPU time is less disturbed by other load on the machine). Prints a table and writes
 * bench/results/jit-compile-<ISO time>.json.
 *
 *   node dist/bench/jit-compile.js [--runs N] [--warmup N] [--baseline DIST]
 *
 * --baseline DIST: also time tier 1 of another build (DIST = that build's dist/ directory, e.g. a worktree of
 * an earlier commit after `npx tsc`) against this one on the same 2,000-instruction program, compiles
 * alternating between the two in one process, so the before/after ratio is measured side by side.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileProgram, type JitOptions } from '../jit/compile.js';
import { JitInstance } from '../jit/instance.js';
import { Wasm } from '../jit/wasm-api.js';
import { generateProgram } from './jit-program-gen.js';

interface Row {
  readonly insns: number;
  readonly backend: 'direct' | 'binaryen';
  readonly level: number;
  readonly promoteStack: boolean;
  readonly firstCompileMs: number;
  readonly medianMs: { build: number; optimizeAndEmit: number; v8Compile: number; instantiate: number; total: number; cpu: number };
  readonly wasmBytes: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function measure(length: number, options: JitOptions, runs: number, warmup: number): Row {
  const prog = generateProgram(42, { length, branches: true });
  const memory = new Wasm.Memory({ initial: 20, maximum: 65536, shared: true });
  const t = { build: [] as number[], optimizeAndEmit: [] as number[], v8Compile: [] as number[], instantiate: [] as number[], total: [] as number[], cpu: [] as number[] };
  let wasmBytes = 0;
  let firstCompileMs = 0;
  let backend: 'direct' | 'binaryen' = 'direct';
  for (let r = 0; r < warmup + runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const c = compileProgram({ name: `gen${length}`, insns: prog.insns, funcs: [] }, options);
    const t1 = performance.now();
    new JitInstance(c, { memory, cpu: 0, helpers: () => undefined });
    const t2 = performance.now();
    const cpu = process.cpuUsage(c0);
    if (r === 0) firstCompileMs = t2 - t0;
    if (r < warmup) continue;
    t.build.push(c.timings.buildMs);
    t.optimizeAndEmit.push(c.timings.optimizeAndEmitMs);
    t.v8Compile.push(c.timings.v8CompileMs);
    t.instantiate.push(t2 - t1);
    t.total.push(t2 - t0);
    t.cpu.push((cpu.user + cpu.system) / 1000);
    wasmBytes = c.wasm.length;
    backend = c.backend;
  }
  return {
    insns: prog.insns.length, backend, level: options.optimizeLevel ?? 0, promoteStack: options.promoteStack ?? true, firstCompileMs,
    medianMs: {
      build: median(t.build), optimizeAndEmit: median(t.optimizeAndEmit), v8Compile: median(t.v8Compile),
      instantiate: median(t.instantiate), total: median(t.total), cpu: median(t.cpu),
    },
    wasmBytes,
  };
}

interface BaselineComparison {
  readonly baseline: string;
  readonly insns: number;
  readonly rounds: number;
  /** Medians over the rounds after the warm-up, ms. */
  readonly before: { readonly wall: number; readonly cpu: number };
  readonly after: { readonly wall: number; readonly cpu: number };
  readonly cpuRatio: number;
}

type CompileFn = typeof compileProgram;
type InstanceCtor = typeof JitInstance;

/** Tier-1 compile + instantiate of this build and of `dir`'s, interleaved round by round. */
async function compareWithBaseline(dir: string, rounds: number, warmup: number): Promise<BaselineComparison> {
  const root = pathToFileURL(resolve(dir)).href;
  const old = {
    compile: (await import(`${root}/jit/compile.js`) as { compileProgram: CompileFn }).compileProgram,
    Instance: (await import(`${root}/jit/instance.js`) as { JitInstance: InstanceCtor }).JitInstance,
  };
  const prog = generateProgram(42, { length: 2000, branches: true });
  const memory = new Wasm.Memory({ initial: 20, maximum: 65536, shared: true });
  const sides = [
    { compile: old.compile, Instance: old.Instance, wall: [] as number[], cpu: [] as number[] },
    { compile: compileProgram, Instance: JitInstance, wall: [] as number[], cpu: [] as number[] },
  ];
  for (let r = 0; r < warmup + rounds; r++) {
    for (const side of sides) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const c = side.compile({ name: 'gen2000', insns: prog.insns, funcs: [] }, { optimizeLevel: 0 });
      new side.Instance(c, { memory, cpu: 0, helpers: () => undefined });
      const t1 = performance.now();
      const cpu = process.cpuUsage(c0);
      if (r < warmup) continue;
      side.wall.push(t1 - t0);
      side.cpu.push((cpu.user + cpu.system) / 1000);
    }
  }
  const [b, a] = sides as [typeof sides[0], typeof sides[0]];
  return {
    baseline: dir, insns: prog.insns.length, rounds,
    before: { wall: median(b.wall), cpu: median(b.cpu) }, after: { wall: median(a.wall), cpu: median(a.cpu) },
    cpuRatio: median(a.cpu) / median(b.cpu),
  };
}

async function main(): Promise<void> {
  const arg = (name: string, dflt: number): number => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const runs = arg('--runs', 9);
  const warmup = arg('--warmup', 10);
  const rows: Row[] = [];
  for (const length of [64, 2000]) {
    rows.push(measure(length, { optimizeLevel: 0 }, runs, warmup));
    rows.push(measure(length, { optimizeLevel: 0, backend: 'binaryen' }, runs, warmup));
  }
  for (const level of [1, 2, 3] as const) rows.push(measure(2000, { optimizeLevel: level }, Math.max(3, Math.floor(runs / 3)), 2));
  rows.push(measure(2000, { optimizeLevel: 0, promoteStack: false }, runs, warmup));
  const f = (x: number): string => x.toFixed(2).padStart(9);
  console.log('insns  backend   -O  promote     build  opt+emit  v8compile  instantiate      total        cpu   first compile   wasm bytes');
  for (const r of rows) {
    const m = r.medianMs;
    console.log(`${String(r.insns).padStart(5)}  ${r.backend.padEnd(8)}  ${r.level}   ${String(r.promoteStack).padEnd(6)}${f(m.build)}${f(m.optimizeAndEmit)}${f(m.v8Compile)}    ${f(m.instantiate)}  ${f(m.total)}  ${f(m.cpu)}       ${f(r.firstCompileMs)}   ${r.wasmBytes}`);
  }
  const tier1 = rows.find((r) => r.insns >= 2000 && r.level === 0 && r.backend === 'direct' && r.promoteStack)!;
  console.log(`tier 1 for ${tier1.insns} instructions: ${tier1.medianMs.total.toFixed(2)} ms wall, ${tier1.medianMs.cpu.toFixed(2)} ms CPU (target ≤ 10 ms); ms, medians of ${runs} after ${warmup} warm-up compiles`);
  const baselineAt = process.argv.indexOf('--baseline');
  let baseline: BaselineComparison | undefined;
  if (baselineAt >= 0) {
    baseline = await compareWithBaseline(process.argv[baselineAt + 1]!, Math.max(runs, 30), warmup);
    console.log(`tier 1 against ${baseline.baseline}, ${baseline.insns} instructions, interleaved, medians of ${baseline.rounds}: ` +
      `before ${baseline.before.wall.toFixed(2)} ms wall / ${baseline.before.cpu.toFixed(2)} ms CPU, ` +
      `after ${baseline.after.wall.toFixed(2)} ms wall / ${baseline.after.cpu.toFixed(2)} ms CPU (after/before CPU ${baseline.cpuRatio.toFixed(2)})`);
  }
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `jit-compile-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ bench: 'jit-compile', node: process.version, loadavg: loadavg(), runs, warmup, rows, ...(baseline ? { baseline } : {}) }, null, 2) + '\n');
  console.log(`load average during the run: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`wrote ${file}`);
}

await main();
