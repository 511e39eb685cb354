/**
 * ns/packet of the JIT's run_batch (one JS→wasm call per batch), of the JIT entered once per frame, and of
 * the reference interpreter (unchecked, its fastest mode), side by side on the same frames in the same
 * arena, for a parse-and-count program (programs/proto_count.o: Ethernet/VLAN/IP parse, PERCPU_ARRAY
 * counters) and the XDP_PASS floor (programs/xdp_pass.o). Prints the ratios and writes
 * bench/results/jit-vs-interp-<ISO time>.json.
 *
 *   node dist/bench/jit-vs-interp.js [--frames N] [--ms BUDGET_PER_FIGURE]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseObject } from '../src/ebpf/loader.js';
import { readCapture } from '../src/dataplane/capture/read-capture.js';
import { Arena } from '../src/vm/arena.js';
import { DESC_SIZE, Desc, FRAME_SLOT_SIZE, MAX_LINEAR, XDP_PACKET_HEADROOM, stackTop } from '../src/vm/arena-layout.js';
import { Interpreter } from '../src/vm/interpreter/interpreter.js';
import { Runtime } from '../src/vm/runtime/runtime.js';
import { JitEngine } from '../jit/xdp-engine.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

/** Copies frames into arena slots and builds contiguous descriptors (linear frames only). */
function placeFrames(arena: Arena, frames: readonly Uint8Array[]): number {
  const desc = arena.alloc(frames.length * DESC_SIZE, 'bench descriptors');
  const u32 = arena.u32;
  frames.forEach((f, i) => {
    const slot = arena.alloc(FRAME_SLOT_SIZE, 'bench frame');
    const data = slot + XDP_PACKET_HEADROOM;
    arena.u8.set(f.subarray(0, MAX_LINEAR), data);
    const d = (desc + i * DESC_SIZE) >>> 2;
    u32[d + (Desc.DATA >> 2)] = data;
    u32[d + (Desc.DATA_END >> 2)] = data + Math.min(f.length, MAX_LINEAR);
    u32[d + (Desc.DATA_META >> 2)] = data;
    u32[d + (Desc.INGRESS_IFINDEX >> 2)] = 1;
    u32[d + (Desc.SLOT >> 2)] = slot;
  });
  return desc;
}

/** Runs `pass` (over all frames) until `budgetMs` has passed; returns ns per frame. */
function time(frames: number, budgetMs: number, pass: () => void): number {
  for (let w = 0; w < 3; w++) pass();
  let passes = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0n;
  const budget = BigInt(Math.round(budgetMs * 1e6));
  while (elapsed < budget) {
    pass();
    passes++;
    elapsed = process.hrtime.bigint() - t0;
  }
  return Number(elapsed) / (passes * frames);
}

interface Figures { program: string; jitBatch: number; jitPerFrame: number; interp: number }

function measure(object: string, frames: readonly Uint8Array[], budgetMs: number): Figures {
  const spec = parseObject(readFileSync(join(root, 'programs', object)));
  const arena = Arena.create({ maxBytes: 256 << 20, cpus: 1 });
  const runtime = Runtime.load(arena, spec);
  const program = [...runtime.programs.values()][0]!;
  const desc = placeFrames(arena, frames);
  const n = frames.length;
  const jit = new JitEngine(runtime).prepare(program);
  const interp = new Interpreter(arena.memory, runtime.helpers);
  const top = stackTop(0);
  const jitBatch = time(n, budgetMs, () => jit.runBatch(desc, n, 0));
  const jitPerFrame = time(n, budgetMs, () => {
    for (let i = 0; i < n; i++) jit.runFrame(desc + i * DESC_SIZE, 0);
  });
  const interpNs = time(n, budgetMs, () => {
    for (let i = 0; i < n; i++) {
      const d = desc + i * DESC_SIZE;
      interp.run(program, { r1: d, ctx: d, cpu: 0, stackTop: top });
    }
  });
  return { program: program.name, jitBatch, jitPerFrame, interp: interpNs };
}

function main(): void {
  const count = arg('--frames', 256);
  const budgetMs = arg('--ms', 400);
  const capture = readCapture(readFileSync(join(root, 'pcaps', 'mixed.pcap')));
  const frames = capture.frames.slice(0, count).map((f) => f.data);
  const rows = ['proto_count.o', 'xdp_pass.o'].map((o) => measure(o, frames, budgetMs));
  console.log(`frames: ${frames.length} from pcaps/mixed.pcap; ns/packet (median-free: total time / packets)`);
  console.log('program          jit run_batch   jit per-frame   interpreter   interp / jit-batch');
  for (const r of rows) {
    console.log(`${r.program.padEnd(16)} ${r.jitBatch.toFixed(1).padStart(13)} ${r.jitPerFrame.toFixed(1).padStart(15)} ${r.interp.toFixed(1).padStart(13)} ${(r.interp / r.jitBatch).toFixed(1).padStart(20)}`);
  }
  const [prog, floor] = rows as [Figures, Figures];
  console.log(`marginal (minus XDP_PASS floor): jit ${(prog.jitBatch - floor.jitBatch).toFixed(1)} ns, interpreter ${(prog.interp - floor.interp).toFixed(1)} ns`);
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `jit-vs-interp-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ bench: 'jit-vs-interp', node: process.version, frames: frames.length, rows }, null, 2) + '\n');
  console.log(`wrote ${file}`);
}

main();
