/**
 * Register representation for the interpreter: 32-bit halves (the shipped Interpreter) vs BigInt registers
 * (a minimal interpreter written here with the same pre-decoded dispatch, covering only this program's
 * opcodes). Both run one real loop program (FNV-style hash over a 256-byte buffer: loads, 64-bit mul,
 * shifts, xor, conditional and unconditional jumps) over the same arena; prints ns per run, ns per executed
 * instruction (process CPU time), and the ratio. Usage: node dist/bench/interp-repr.js
 */
import { HASH_LEN, HASH_LOOP, fillHashBuffer } from './hash-loop.js';
import type { Insn } from '../src/ebpf/insn.js';
import type { ExecProgram } from '../src/vm/exec-types.js';
import { Interpreter } from '../src/vm/interpreter/interpreter.js';
import { RAW_MEM_BASE, RAW_STACK_TOP, rawArena } from '../src/vm/raw-entry.js';


const M64 = (1n << 64n) - 1n;

/** BigInt-register interpreter for the opcodes HASH_LOOP uses; returns [r0, executed instructions]. */
function makeBigIntInterpreter(insns: readonly Insn[], dv: DataView): (r1: bigint, r2: bigint) => [bigint, number] {
  const n = insns.length;
  const op = new Uint8Array(n), dst = new Uint8Array(n), src = new Uint8Array(n), off = new Int16Array(n);
  const imm: bigint[] = new Array<bigint>(n).fill(0n);
  for (let i = 0; i < n; i++) {
    const x = insns[i]!;
    op[i] = x.code; dst[i] = x.dst; src[i] = x.src; off[i] = x.off;
    imm[i] = x.code === 0x18 ? (BigInt(insns[i + 1]!.imm >>> 0) << 32n) | BigInt(x.imm >>> 0) : BigInt.asUintN(64, BigInt(x.imm));
  }
  const r: bigint[] = new Array<bigint>(11).fill(0n);
  return (r1, r2) => {
    r[1] = r1; r[2] = r2;
    let pc = 0;
    let steps = 0;
    for (;;) {
      const i = pc++;
      steps++;
      const d = dst[i]!, s = src[i]!;
      switch (op[i]) {
        case 0x18: r[d] = imm[i]!; pc++; break;
        case 0xb7: r[d] = imm[i]!; break;
        case 0xbf: r[d] = r[s]!; break;
        case 0x0f: r[d] = (r[d]! + r[s]!) & M64; break;
        case 0x07: r[d] = (r[d]! + imm[i]!) & M64; break;
        case 0xaf: r[d] = r[d]! ^ r[s]!; break;
        case 0x27: r[d] = (r[d]! * imm[i]!) & M64; break;
        case 0x77: r[d] = r[d]! >> (imm[i]! & 63n); break;
        case 0x57: r[d] = r[d]! & imm[i]!; break;
        case 0x71: r[d] = BigInt(dv.getUint8(Number(r[s]!) + off[i]!)); break;
        case 0x3d: if (r[d]! >= r[s]!) pc += off[i]!; break;
        case 0x15: if (r[d] === imm[i]) pc += off[i]!; break;
        case 0x05: pc += off[i]!; break;
        case 0x95: return [r[0]!, steps];
        default: throw new Error(`bench interpreter: opcode 0x${op[i]!.toString(16)}`);
      }
    }
  };
}

/**
 * ns of this process's CPU time per call: the machine is shared, and CPU time leaves out the time this
 * process waits for a core (wall-clock figures under load overstate both sides alike).
 */
function timeIt(fn: () => void, minMs = 400): number {
  for (let k = 0; k < 200; k++) fn();
  let runs = 0;
  const t0 = process.cpuUsage();
  let elapsedUs = 0;
  do {
    for (let k = 0; k < 100; k++) fn();
    runs += 100;
    const t = process.cpuUsage(t0);
    elapsedUs = t.user + t.system;
  } while (elapsedUs < minMs * 1000);
  return (elapsedUs * 1000) / runs;
}

const arena = rawArena(HASH_LEN);
const bytes = new Uint8Array(arena.buffer);
fillHashBuffer(bytes, RAW_MEM_BASE);
const prog: ExecProgram = { name: 'fnv-loop', insns: HASH_LOOP, funcs: [], lines: [] };
const interp = new Interpreter(arena, () => undefined);
const bigint = makeBigIntInterpreter(HASH_LOOP, new DataView(arena.buffer));
const args = { r1: RAW_MEM_BASE, r2: HASH_LEN, ctx: 0, cpu: 0, stackTop: RAW_STACK_TOP };

const [bigR0, steps] = bigint(BigInt(RAW_MEM_BASE), BigInt(HASH_LEN));
const halvesR0 = interp.run(prog, args);
if (bigR0 !== halvesR0) throw new Error(`representations disagree: BigInt 0x${bigR0.toString(16)} vs halves 0x${halvesR0.toString(16)}`);

const halvesNs = timeIt(() => { interp.run(prog, args); });
const bigNs = timeIt(() => { bigint(BigInt(RAW_MEM_BASE), BigInt(HASH_LEN)); });
console.log(`program: ${HASH_LOOP.length} slots, ${steps} instructions executed per run`);
console.log(`halves (Interpreter): ${halvesNs.toFixed(0)} ns/run, ${(halvesNs / steps).toFixed(2)} ns/insn`);
console.log(`BigInt registers:     ${bigNs.toFixed(0)} ns/run, ${(bigNs / steps).toFixed(2)} ns/insn`);
console.log(`ratio BigInt / halves: ${(bigNs / halvesNs).toFixed(2)}x`);
