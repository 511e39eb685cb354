/**
 * ns per executed instruction of the reference interpreter (unchecked, its fastest mode), measured in this
 * process's CPU time (process.cpuUsage: the machine is shared, and CPU time leaves out the time spent
 * waiting for a core), for:
 *   - a raw FNV-style hash loop over 256 bytes (loads, 64-bit mul, shifts, xor, branches), also run by a
 *     bare interpreter written here that knows only that loop's opcodes (the floor a switch interpreter
 *     with 32-bit halves can reach in V8: no bounds checks beyond the typed arrays', no checker, no budget);
 *   - XDP programs from programs/*.o over the frames of pcaps/flood64.pcap (empty maps);
 * and, with `--baseline <dir>`, the same rows for another build of the interpreter (a directory holding a
 * compiled interpreter.js, e.g. a copy of dist/src/vm/interpreter/ taken before a change, placed next to it
 * so that its relative imports resolve), interleaved round by round with the current one.
 * Executed instructions are counted by the interpreter itself (Interpreter.executedInsns) in a counting
 * pass before timing. Writes bench/results/interp-<ISO time>.json.
 *
 *   node dist/bench/interp-per-insn.js [--rounds N] [--slice-ms MS] [--baseline dist/src/vm/interp-baseline]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HASH_LEN, HASH_LOOP, fillHashBuffer } from './hash-loop.js';
import type { Insn } from '../src/ebpf/insn.js';
import { parseObject } from '../src/ebpf/loader.js';
import { readCapture } from '../src/dataplane/capture/read-capture.js';
import { placeFrames } from '../src/bench/frame-set.js';
import { Arena } from '../src/vm/arena.js';
import { DESC_SIZE, MAX_LINEAR, stackTop } from '../src/vm/arena-layout.js';
import type { ExecProgram, HelperImpl } from '../src/vm/exec-types.js';
import { Interpreter, type InterpreterMemory, type RunArgs } from '../src/vm/interpreter/interpreter.js';
import { RAW_MEM_BASE, RAW_STACK_TOP, rawArena } from '../src/vm/raw-entry.js';
import { Runtime } from '../src/vm/runtime/runtime.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

/** What the bench needs of an interpreter build (the current one or a baseline). */
interface RunnableInterpreter {
  runAction(prog: ExecProgram, args: RunArgs): number;
}
type InterpreterCtor = new (mem: InterpreterMemory, helpers: (id: number) => HelperImpl | undefined) => RunnableInterpreter;


/**
 * The floor: a switch over HASH_LOOP's opcodes only, registers as 32-bit halves in one Int32Array, operands
 * pre-decoded into one Int32Array (4 words per slot). Returns the low word of r0.
 */
function bareInterpreter(insns: readonly Insn[], u8: Uint8Array): (r1: number, r2: number) => number {
  const code = new Int32Array(insns.length * 4);
  insns.forEach((x, i) => {
    code[i * 4] = x.code | (x.dst * 2) << 8 | (x.src * 2) << 16;
    code[i * 4 + 1] = x.off;
    code[i * 4 + 2] = x.imm;
    code[i * 4 + 3] = x.code === 0x18 ? insns[i + 1]!.imm : x.imm >> 31;
  });
  const r = new Int32Array(22);
  return (r1, r2) => {
    r.fill(0);
    r[2] = r1; r[4] = r2;
    let pc = 0;
    for (;;) {
      const b = pc++ << 2;
      const w = code[b]!;
      const d = (w >> 8) & 0xff, s = (w >> 16) & 0xff;
      switch (w & 0xff) {
        case 0x18: r[d] = code[b + 2]!; r[d + 1] = code[b + 3]!; pc++; break;
        case 0xb7: r[d] = code[b + 2]!; r[d + 1] = code[b + 3]!; break;
        case 0xbf: r[d] = r[s]!; r[d + 1] = r[s + 1]!; break;
        case 0x0f: { const x = r[d]!; const lo = (x + r[s]!) | 0; r[d] = lo; r[d + 1] = (r[d + 1]! + r[s + 1]! + ((lo >>> 0) < (x >>> 0) ? 1 : 0)) | 0; break; }
        case 0x07: { const x = r[d]!; const lo = (x + code[b + 2]!) | 0; r[d] = lo; r[d + 1] = (r[d + 1]! + code[b + 3]! + ((lo >>> 0) < (x >>> 0) ? 1 : 0)) | 0; break; }
        case 0xaf: r[d] = r[d]! ^ r[s]!; r[d + 1] = r[d + 1]! ^ r[s + 1]!; break;
        case 0x27: {
          const alo = r[d]! >>> 0, ahi = r[d + 1]!, blo = code[b + 2]! >>> 0, bhi = code[b + 3]!;
          const a0 = alo & 0xffff, a1 = alo >>> 16, b0 = blo & 0xffff, b1 = blo >>> 16;
          const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0;
          const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
          r[d] = ((mid & 0xffff) << 16) | (p00 & 0xffff);
          r[d + 1] = (Math.imul(a1, b1) + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
          break;
        }
        case 0x77: {
          const n = code[b + 2]! & 63;
          if (n >= 32) { r[d] = r[d + 1]! >>> (n - 32); r[d + 1] = 0; }
          else if (n !== 0) { r[d] = (r[d]! >>> n) | (r[d + 1]! << (32 - n)); r[d + 1] = r[d + 1]! >>> n; }
          break;
        }
        case 0x57: r[d] = r[d]! & code[b + 2]!; r[d + 1] = r[d + 1]! & code[b + 3]!; break;
        case 0x71: r[d] = u8[r[s]! + code[b + 1]!]!; r[d + 1] = 0; break;
        case 0x3d: if ((r[d + 1]! >>> 0) > (r[s + 1]! >>> 0) || (r[d + 1] === r[s + 1] && (r[d]! >>> 0) >= (r[s]! >>> 0))) pc += code[b + 1]!; break;
        case 0x15: if (r[d] === code[b + 2] && r[d + 1] === code[b + 3]) pc += code[b + 1]!; break;
        case 0x05: pc += code[b + 1]!; break;
        case 0x95: return r[0]! >>> 0;
        default: throw new Error(`bare interpreter: opcode 0x${(w & 0xff).toString(16)}`);
      }
    }
  };
}

/** Frames in arena slots with contiguous descriptors, linear part only (these benches time linear frames). */
function placeLinearFrames(arena: Arena, frames: readonly Uint8Array[]): number {
  return placeFrames(arena, frames.map((f) => f.subarray(0, MAX_LINEAR))).desc;
}

/** One measured row: `passes` are timed interleaved; `insns` is how many instructions one pass executes. */
interface Row {
  readonly name: string;
  readonly insns: number;
  readonly runs: number;
  readonly passes: ReadonlyMap<string, () => void>;
}

/**
 * CPU-time ns per pass, median over rounds; each round gives each variant a slice of `sliceMs` of CPU time,
 * starting from a different variant each round: in A/A runs of two copies of the same interpreter, the
 * variant always timed first came out ≈12% slower.
 */
function timeInterleaved(passes: ReadonlyMap<string, () => void>, rounds: number, sliceMs: number): Map<string, number> {
  const cpuUs = (): number => { const u = process.cpuUsage(); return u.user + u.system; };
  for (const pass of passes.values()) {
    const until = cpuUs() + 300_000;
    while (cpuUs() < until) pass();
  }
  const samples = new Map<string, number[]>([...passes.keys()].map((k) => [k, []]));
  const entries = [...passes];
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < entries.length; j++) {
      const [k, pass] = entries[(r + j) % entries.length]!;
      let n = 0;
      const t0 = cpuUs();
      let elapsed = 0;
      while (elapsed < sliceMs * 1000) {
        pass();
        n++;
        elapsed = cpuUs() - t0;
      }
      samples.get(k)!.push((elapsed * 1000) / n);
    }
  }
  return new Map([...samples].map(([k, xs]) => [k, [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!]));
}

function hashRow(variants: ReadonlyMap<string, InterpreterCtor>): Row {
  const arena = rawArena(HASH_LEN);
  const bytes = new Uint8Array(arena.buffer);
  fillHashBuffer(bytes, RAW_MEM_BASE);
  const prog: ExecProgram = { name: 'hash-loop', insns: HASH_LOOP, funcs: [], lines: [] };
  const args: RunArgs = { r1: RAW_MEM_BASE, r2: HASH_LEN, ctx: 0, cpu: 0, stackTop: RAW_STACK_TOP };
  const counter = new Interpreter(arena, () => undefined);
  const expected = counter.runAction(prog, args);
  const insns = counter.executedInsns;
  const passes = new Map<string, () => void>();
  for (const [name, Ctor] of variants) {
    const it = new Ctor(arena, () => undefined);
    if (it.runAction(prog, args) !== expected) throw new Error(`${name} disagrees on the hash loop`);
    passes.set(name, () => { it.runAction(prog, args); });
  }
  const bare = bareInterpreter(HASH_LOOP, bytes);
  if (bare(RAW_MEM_BASE, HASH_LEN) !== expected) throw new Error('the bare interpreter disagrees on the hash loop');
  passes.set('bare floor', () => { bare(RAW_MEM_BASE, HASH_LEN); });
  return { name: 'hash-loop (raw)', insns, runs: 1, passes };
}

function programRow(object: string, frames: readonly Uint8Array[], variants: ReadonlyMap<string, InterpreterCtor>): Row {
  const spec = parseObject(readFileSync(join(root, 'programs', object)));
  const arena = Arena.create({ maxBytes: 64 << 20, cpus: 1 });
  const runtime = Runtime.load(arena, spec);
  const program = [...runtime.programs.values()][0]!;
  const desc = placeLinearFrames(arena, frames);
  const n = frames.length;
  const top = stackTop(0);
  const counter = new Interpreter(arena.memory, runtime.helpers);
  for (let i = 0; i < n; i++) counter.runAction(program, { r1: desc + i * DESC_SIZE, ctx: desc + i * DESC_SIZE, cpu: 0, stackTop: top });
  const insns = counter.executedInsns;
  const passes = new Map<string, () => void>();
  for (const [name, Ctor] of variants) {
    const it = new Ctor(arena.memory, runtime.helpers);
    passes.set(name, () => {
      for (let i = 0; i < n; i++) {
        const d = desc + i * DESC_SIZE;
        it.runAction(program, { r1: d, ctx: d, cpu: 0, stackTop: top });
      }
    });
  }
  return { name: object, insns, runs: n, passes };
}

async function main(): Promise<void> {
  const rounds = Number(arg('--rounds') ?? 9);
  const sliceMs = Number(arg('--slice-ms') ?? 40);
  const variants = new Map<string, InterpreterCtor>([['current', Interpreter]]);
  const baselineDir = arg('--baseline');
  if (baselineDir !== undefined) {
    const mod = (await import(pathToFileURL(join(resolve(baselineDir), 'interpreter.js')).href)) as { Interpreter: InterpreterCtor };
    variants.set('baseline', mod.Interpreter);
  }
  const capture = readCapture(readFileSync(join(root, 'pcaps', 'flood64.pcap')));
  const frames = capture.frames.slice(0, 256).map((f) => f.data);
  const rows = [
    hashRow(variants),
    ...['xdp_pass.o', 'proto_count.o', 'port_firewall.o', 'l4_lb.o'].map((o) => programRow(o, frames, variants)),
  ];
  const names = [...variants.keys(), 'bare floor'];
  console.log(`CPU-time ns, median of ${rounds} interleaved ${sliceMs} ms slices; frames: ${frames.length} from pcaps/flood64.pcap`);
  console.log(`${'program'.padEnd(18)} ${'insns/run'.padStart(9)} ${names.map((v) => `${v} ns/run`.padStart(20) + `${v} ns/insn`.padStart(20)).join('')}`);
  const results = rows.map((row) => {
    const ns = timeInterleaved(row.passes, rounds, sliceMs);
    const perRun = Object.fromEntries([...ns].map(([k, v]) => [k, v / row.runs]));
    const perInsn = Object.fromEntries([...ns].map(([k, v]) => [k, v / row.insns]));
    console.log(`${row.name.padEnd(18)} ${(row.insns / row.runs).toFixed(1).padStart(9)} ${names.map((v) => (perRun[v] === undefined ? ''.padStart(40) : perRun[v]!.toFixed(1).padStart(20) + perInsn[v]!.toFixed(2).padStart(20))).join('')}`);
    return { program: row.name, insnsPerRun: row.insns / row.runs, nsPerRun: perRun, nsPerInsn: perInsn };
  });
  for (const r of results) {
    const cur = r.nsPerInsn['current']!;
    const parts = [`${r.program}:`];
    if (r.nsPerInsn['baseline'] !== undefined) parts.push(`current/baseline ${(cur / r.nsPerInsn['baseline']).toFixed(2)}`);
    if (r.nsPerInsn['bare floor'] !== undefined) parts.push(`current/bare floor ${(cur / r.nsPerInsn['bare floor']).toFixed(2)}`);
    if (parts.length > 1) console.log(parts.join('  '));
  }
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `interp-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ bench: 'interp-per-insn', node: process.version, loadavg: loadavg(), rounds, sliceMs, baseline: baselineDir ?? null, results }, null, 2) + '\n');
  console.log(`load average during the run: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`wrote ${file}`);
}

await main();
