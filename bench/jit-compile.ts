/**
 * JIT compile speed (design.md §3 targets: tier 1 = Binaryen IR build + V8 compile + instantiate with no
 * Binaryen optimisation, ≤ 10 ms for 2,000 instructions). Prints a table and writes
 * bench/results/jit-compile-<ISO time>.json.
 *
 *   node dist/bench/jit-compile.js [--runs N]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileProgram, type JitOptions } from '../jit/compile.js';
import { JitInstance } from '../jit/instance.js';
import { Wasm } from '../jit/wasm-api.js';
import { generateProgram } from './jit-program-gen.js';

interface Row {
  readonly insns: number;
  readonly level: number;
  readonly promoteStack: boolean;
  readonly medianMs: { build: number; optimizeAndEmit: number; v8Compile: number; instantiate: number; total: number };
  readonly wasmBytes: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function measure(length: number, options: JitOptions, runs: number): Row {
  const prog = generateProgram(42, { length, branches: true });
  const memory = new Wasm.Memory({ initial: 20, maximum: 65536, shared: true });
  const t = { build: [] as number[], optimizeAndEmit: [] as number[], v8Compile: [] as number[], instantiate: [] as number[], total: [] as number[] };
  let wasmBytes = 0;
  for (let r = 0; r < runs + 1; r++) {
    const t0 = performance.now();
    const c = compileProgram({ name: `gen${length}`, insns: prog.insns, funcs: [] }, options);
    const t1 = performance.now();
    new JitInstance(c, { memory, cpu: 0, helpers: () => undefined });
    const t2 = performance.now();
    if (r === 0) continue; // warm-up: Binaryen's and V8's first use
    t.build.push(c.timings.buildMs);
    t.optimizeAndEmit.push(c.timings.optimizeAndEmitMs);
    t.v8Compile.push(c.timings.v8CompileMs);
    t.instantiate.push(t2 - t1);
    t.total.push(t2 - t0);
    wasmBytes = c.wasm.length;
  }
  return {
    insns: prog.insns.length, level: options.optimizeLevel ?? 0, promoteStack: options.promoteStack ?? true,
    medianMs: {
      build: median(t.build), optimizeAndEmit: median(t.optimizeAndEmit), v8Compile: median(t.v8Compile),
      instantiate: median(t.instantiate), total: median(t.total),
    },
    wasmBytes,
  };
}

function main(): void {
  const runsArg = process.argv.indexOf('--runs');
  const runs = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 9;
  const rows: Row[] = [];
  for (const length of [64, 2000]) rows.push(measure(length, { optimizeLevel: 0 }, runs));
  for (const level of [1, 2, 3] as const) rows.push(measure(2000, { optimizeLevel: level }, Math.max(3, Math.floor(runs / 3))));
  rows.push(measure(2000, { optimizeLevel: 0, promoteStack: false }, runs));
  const f = (x: number): string => x.toFixed(2).padStart(8);
  console.log('insns  -O  promote   build  opt+emit  v8compile  instantiate    total (ms, median)   wasm bytes');
  for (const r of rows) {
    const m = r.medianMs;
    console.log(`${String(r.insns).padStart(5)}  ${r.level}   ${String(r.promoteStack).padEnd(6)}${f(m.build)}${f(m.optimizeAndEmit)}${f(m.v8Compile)}   ${f(m.instantiate)}   ${f(m.total)}            ${r.wasmBytes}`);
  }
  const tier1 = rows.find((r) => r.insns >= 2000 && r.level === 0 && r.promoteStack)!;
  console.log(`tier 1 for ${tier1.insns} instructions: ${tier1.medianMs.total.toFixed(2)} ms (target ≤ 10 ms)`);
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `jit-compile-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ bench: 'jit-compile', node: process.version, runs, rows }, null, 2) + '\n');
  console.log(`wrote ${file}`);
}

main();
