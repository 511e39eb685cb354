/**
 * ns/packet of the JIT's run_batch (one JS→wasm call per batch) — tier 1 (direct encoding, dominator-tree
 * structuring), the Binaryen backend at -O0 (Relooper structuring) and at -O2 — of the tier-1 JIT entered
 * once per frame, and of the reference interpreter (unchecked, its fastest mode), side by side on the same
 * frames in the same arena, for a parse-and-count program (programs/proto_count.o: Ethernet/VLAN/IP parse,
 * PERCPU_ARRAY counters) and the XDP_PASS floor (programs/xdp_pass.o). Prints the ratios and writes
 * bench/results/jit-vs-interp-<ISO time>.json.
 *
 *   node dist/bench/jit-vs-interp.js [--frames N] [--rounds N] [--slice-ms MS]
 *   node --no-liftoff dist/bench/jit-vs-interp.js ...   (TurboFan from the first call: steady-state code only)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseObject } from '../src/ebpf/loader.js';
import { readCapture } from '../src/dataplane/capture/read-capture.js';
import { placeFrames } from '../src/bench/frame-set.js';
import { Arena } from '../src/vm/arena.js';
import { DESC_SIZE, MAX_LINEAR, stackTop } from '../src/vm/arena-layout.js';
import { Interpreter } from '../src/vm/interpreter/interpreter.js';
import { Runtime } from '../src/vm/runtime/runtime.js';
import { JitEngine } from '../jit/xdp-engine.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

/** Frames in arena slots with contiguous descriptors, linear part only (these benches time linear frames). */
function placeLinearFrames(arena: Arena, frames: readonly Uint8Array[]): number {
  return placeFrames(arena, frames.map((f) => f.subarray(0, MAX_LINEAR))).desc;
}

const WARMUP_MS = 400;

/**
 * Interleaved timing: every round gives each variant a slice of `sliceMs` (whole passes over the frames),
 * and a variant's figure is its median ns/frame over the rounds, so load that comes and goes on a shared
 * machine hits all variants alike.
 */
function timeInterleaved(frames: number, rounds: number, sliceMs: number, passes: readonly (() => void)[]): number[] {
  // Warm-up: V8 first runs wasm in its baseline compiler (Liftoff) and tiers hot functions up to TurboFan in
  // the background; on a busy machine that can take a while, so give every variant time to get there.
  for (const pass of passes) {
    const until = performance.now() + WARMUP_MS;
    while (performance.now() < until) pass();
  }
  const samples: number[][] = passes.map(() => []);
  const slice = BigInt(Math.round(sliceMs * 1e6));
  for (let r = 0; r < rounds; r++) {
    passes.forEach((pass, k) => {
      let n = 0;
      const t0 = process.hrtime.bigint();
      let elapsed = 0n;
      while (elapsed < slice) {
        pass();
        n++;
        elapsed = process.hrtime.bigint() - t0;
      }
      samples[k]!.push(Number(elapsed) / (n * frames));
    });
  }
  return samples.map((xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
}

interface Figures { program: string; jitBatch: number; relooperO0Batch: number; binaryenO2Batch: number; jitPerFrame: number; interp: number }

function measure(object: string, frames: readonly Uint8Array[], rounds: number, sliceMs: number): Figures {
  const spec = parseObject(readFileSync(join(root, 'programs', object)));
  const arena = Arena.create({ maxBytes: 256 << 20, cpus: 1 });
  const runtime = Runtime.load(arena, spec);
  const program = [...runtime.programs.values()][0]!;
  const desc = placeLinearFrames(arena, frames);
  const n = frames.length;
  const jit = new JitEngine(runtime).prepare(program);
  const relooper = new JitEngine(runtime, { backend: 'binaryen' }).prepare(program);
  const o2 = new JitEngine(runtime, { optimizeLevel: 2 }).prepare(program);
  const interp = new Interpreter(arena.memory, runtime.helpers);
  const top = stackTop(0);
  const [jitBatch, relooperO0Batch, binaryenO2Batch, jitPerFrame, interpNs] = timeInterleaved(n, rounds, sliceMs, [
    () => jit.runBatch(desc, n, 0),
    () => relooper.runBatch(desc, n, 0),
    () => o2.runBatch(desc, n, 0),
    () => { for (let i = 0; i < n; i++) jit.runFrame(desc + i * DESC_SIZE, 0); },
    () => {
      for (let i = 0; i < n; i++) {
        const d = desc + i * DESC_SIZE;
        interp.run(program, { r1: d, ctx: d, cpu: 0, stackTop: top });
      }
    },
  ]) as [number, number, number, number, number];
  return { program: program.name, jitBatch, relooperO0Batch, binaryenO2Batch, jitPerFrame, interp: interpNs };
}

function main(): void {
  const count = arg('--frames', 256);
  const rounds = arg('--rounds', 15);
  const sliceMs = arg('--slice-ms', 20);
  const capture = readCapture(readFileSync(join(root, 'pcaps', 'mixed.pcap')));
  const frames = capture.frames.slice(0, count).map((f) => f.data);
  const rows = ['proto_count.o', 'xdp_pass.o'].map((o) => measure(o, frames, rounds, sliceMs));
  console.log(`frames: ${frames.length} from pcaps/mixed.pcap; ns/packet, median of ${rounds} interleaved ${sliceMs} ms slices`);
  console.log('program          run_batch tier1   Relooper -O0   Binaryen -O2   tier1 per-frame   interpreter   interp / tier1 batch');
  const c = (x: number, w: number): string => x.toFixed(1).padStart(w);
  for (const r of rows) {
    console.log(`${r.program.padEnd(16)} ${c(r.jitBatch, 15)} ${c(r.relooperO0Batch, 14)} ${c(r.binaryenO2Batch, 14)} ${c(r.jitPerFrame, 17)} ${c(r.interp, 13)} ${c(r.interp / r.jitBatch, 22)}`);
  }
  const [prog, floor] = rows as [Figures, Figures];
  console.log(`marginal (minus XDP_PASS floor): jit ${(prog.jitBatch - floor.jitBatch).toFixed(1)} ns, interpreter ${(prog.interp - floor.interp).toFixed(1)} ns`);
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `jit-vs-interp-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ bench: 'jit-vs-interp', node: process.version, loadavg: loadavg(), frames: frames.length, rows }, null, 2) + '\n');
  console.log(`load average during the run: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`wrote ${file}`);
}

main();
