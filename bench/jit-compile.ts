/**
 * JIT compile speed (design.md §3 target: tier 1 — build + V8 compile + instantiate, no optimisation — ≤ 10 ms
 * for 2,000 instructions). Tier 1 is the direct wasm encoder; the Binaryen backend is shown at -O0 (its
 * Relooper, no passes) and -O1..3. Figures are medians after `--warmup` compiles of the same program (the
 * compiler's own JS warmed up, as in a daemon that has compiled before), plus the very first compile; wall
 * and process CPU time (CPU time is less disturbed by other load on the machine). Prints a table and writes
 * bench/results/jit-compile-<ISO time>.json.
 *
 *   node dist/bench/jit-compile.js [--runs N] [--warmup N]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

function main(): void {
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
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `jit-compile-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ bench: 'jit-compile', node: process.version, loadavg: loadavg(), runs, warmup, rows }, null, 2) + '\n');
  console.log(`load average during the run: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`wrote ${file}`);
}

main();
