/**
 * bpf_loop and bpf_for_each_map_elem with the callback as a direct wasm call (jit/lower-helper-callback.ts)
 * against the same program run with the runtime's TS helpers through the trampoline (callbacks re-entering
 * through JS): two arenas built identically, the same calls on both; r0, the callback's context buffer, the
 * map's bytes and the key scratch must match, and the lowered run must not reach the trampoline unless the
 * lowering is meant to decline (a callback that deletes from the hash map it walks).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { MapType } from '../../src/ebpf/object-spec.js';
import { AluOp, Class, JmpOp, Mode, PseudoSrc, Size, Source } from '../../src/ebpf/opcodes.js';
import type { Insn } from '../../src/ebpf/insn.js';
import { buildHelpers } from '../../src/vm/helpers/helper-table.js';
import type { HelperEnv } from '../../src/vm/helpers/helper-env.js';
import { CaptureClock } from '../../src/vm/clock.js';
import { ArrayMap } from '../../src/vm/maps/array.js';
import { HashMap } from '../../src/vm/maps/hash.js';
import type { BpfMap } from '../../src/vm/maps/bpf-map.js';
import { HELPER_SCRATCH, cpuRegion } from '../../src/vm/arena-layout.js';
import { compileProgram } from '../../jit/compile.js';
import { createInlineHelpers } from '../../jit/inline-helpers.js';
import { JitInstance } from '../../jit/instance.js';
import { callHelper, exit, insn, ldImm64 } from './insn-builders.js';

const CPUS = 3;
const CPU = 1;
const FOR_EACH = 164;
const LOOP = 181;

const ldx = (size: number, dst: number, src: number, off: number): Insn => insn(Class.LDX | Mode.MEM | size, dst, src, off);
const stx = (size: number, dst: number, src: number, off: number): Insn => insn(Class.STX | Mode.MEM | size, dst, src, off);
const alu = (op: number, dst: number, src: number): Insn => insn(Class.ALU64 | op | Source.X, dst, src);
const aluK = (op: number, dst: number, imm: number): Insn => insn(Class.ALU64 | op | Source.K, dst, 0, 0, imm);
const jeq = (dst: number, src: number, off: number): Insn => insn(Class.JMP | JmpOp.JEQ | Source.X, dst, src, off);

/**
 * Context buffer (r1 of `run`): +0 u64 accumulator, +8 u64 calls seen, +16 u64 the call that returns `stop`,
 * +24 u64 flags for the helper, +32 u64 nr_loops (bpf_loop), +40 u64 the stop value returned.
 * main: r3 = ctx, r1 = map (for_each) or nr_loops, r2 = callback, r4 = flags; call; exit with the helper's r0.
 */
function mainPart(helper: number, mapAddr: number, callbackSlot: number): Insn[] {
  const first = [
    alu(AluOp.MOV, 3, 1),
    ...(helper === FOR_EACH ? ldImm64(1, BigInt(mapAddr), PseudoSrc.MAP_FD) : [ldx(Size.DW, 1, 3, 32)]),
    ldx(Size.DW, 4, 3, 24),
  ];
  // r2 = callback: LD_IMM64 src=4 with imm relative to the next slot.
  const ldFuncAt = first.length;
  const rest = [callHelper(helper), exit()];
  const ldFunc = ldImm64(2, BigInt(callbackSlot - (ldFuncAt + 1)), PseudoSrc.FUNC);
  return [...first, ...ldFunc, ...rest];
}

/** Callback args: for_each (map, key, value, ctx), bpf_loop (i, ctx). Mixes what it sees into the accumulator. */
function callbackPart(helper: number): Insn[] {
  const ctxReg = helper === FOR_EACH ? 4 : 2;
  const mix = helper === FOR_EACH
    ? [ldx(Size.DW, 5, 3, 0), alu(AluOp.ADD, 0, 5), ldx(Size.W, 5, 2, 0), alu(AluOp.XOR, 0, 5), alu(AluOp.ADD, 0, 1),
       aluK(AluOp.MUL, 0, 7), ldx(Size.DW, 5, 3, 0), aluK(AluOp.ADD, 5, 3), stx(Size.DW, 3, 5, 0)]
    : [alu(AluOp.ADD, 0, 1), aluK(AluOp.MUL, 0, 5)];
  return [
    ldx(Size.DW, 0, ctxReg, 0), aluK(AluOp.MUL, 0, 31), ...mix, stx(Size.DW, ctxReg, 0, 0),
    ldx(Size.DW, 0, ctxReg, 8), aluK(AluOp.ADD, 0, 1), stx(Size.DW, ctxReg, 0, 8),
    ldx(Size.DW, 5, ctxReg, 16), jeq(0, 5, 2),
    insn(Class.ALU64 | AluOp.MOV, 0, 0, 0, 0), exit(),
    ldx(Size.DW, 0, ctxReg, 40), exit(),
  ];
}

function program(helper: number, mapAddr: number): Insn[] {
  const main = mainPart(helper, mapAddr, 0);
  return [...mainPart(helper, mapAddr, main.length), ...callbackPart(helper)];
}

interface Side {
  readonly arena: Arena;
  readonly map: BpfMap;
  readonly ctxBuf: number;
  readonly helpers: (id: number) => ReturnType<ReturnType<typeof buildHelpers>>;
}

function side(makeMap: (arena: Arena) => BpfMap): Side {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: CPUS });
  const map = makeMap(arena);
  const maps = new Map<number, BpfMap>([[map.addr, map]]);
  const env: HelperEnv = {
    arena, clock: new CaptureClock(), mapAt: (a) => maps.get(a), checkMem: () => undefined, programById: () => undefined,
    fault: (c, message) => new Error(`insn ${c.insn}: ${message}`), deviceMtu: () => undefined, allMaps: () => [...maps.values()],
    emit: () => undefined,
  };
  return { arena, map, ctxBuf: arena.alloc(64, 'callback ctx'), helpers: buildHelpers(env) };
}

type Case = { readonly stopAt: bigint; readonly flags: bigint; readonly loops?: bigint; readonly stopValue?: bigint };

/** Both backends: the direct encoder (tier 1) and Binaryen at -O2. */
function compare(name: string, helper: number, makeMap: (arena: Arena) => BpfMap, cases: readonly Case[], lowered = true, insns?: (mapAddr: number) => Insn[]): void {
  for (const optimizeLevel of [0, 2] as const) compareAt(optimizeLevel, `${name} -O${optimizeLevel}`, helper, makeMap, cases, lowered, insns);
}

function compareAt(
  optimizeLevel: 0 | 2, name: string, helper: number, makeMap: (arena: Arena) => BpfMap, cases: readonly Case[], lowered: boolean, insns?: (mapAddr: number) => Insn[],
): void {
  const ts = side(makeMap);
  const wasm = side(makeMap);
  assert.equal(ts.map.addr, wasm.map.addr);
  const prog = { name, insns: (insns ?? ((a: number) => program(helper, a)))(ts.map.addr), funcs: [] };
  const viaTs = new JitInstance(compileProgram(prog), { memory: ts.arena.memory, cpu: CPU, helpers: ts.helpers });
  let trampolineCalls = 0;
  const viaWasm = new JitInstance(compileProgram(prog, { inlineHelper: createInlineHelpers(wasm.arena.u32), optimizeLevel, validate: true }), {
    memory: wasm.arena.memory, cpu: CPU, helpers: (id) => { trampolineCalls++; return wasm.helpers(id); },
  });
  const scratch = cpuRegion(CPU) + HELPER_SCRATCH;
  for (const c of cases) {
    for (const s of [ts, wasm]) {
      const dv = new DataView(s.arena.u8.buffer, s.ctxBuf, 48);
      dv.setBigUint64(0, 0x1234n, true);
      dv.setBigUint64(8, 0n, true);
      dv.setBigUint64(16, c.stopAt, true);
      dv.setBigUint64(24, c.flags, true);
      dv.setBigUint64(32, c.loops ?? 0n, true);
      dv.setBigUint64(40, c.stopValue ?? 1n, true);
    }
    const where = `${name} ${JSON.stringify(c, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`;
    assert.equal(viaWasm.run(BigInt(wasm.ctxBuf), 0n), viaTs.run(BigInt(ts.ctxBuf), 0n), `r0: ${where}`);
    const bytes = (s: Side, a: number, n: number): Uint8Array => s.arena.u8.slice(a, a + n);
    assert.deepEqual(bytes(wasm, wasm.ctxBuf, 48), bytes(ts, ts.ctxBuf, 48), `ctx buffer: ${where}`);
    assert.deepEqual(bytes(wasm, wasm.map.addr, wasm.map.footprint), bytes(ts, ts.map.addr, ts.map.footprint), `map bytes: ${where}`);
    assert.deepEqual(bytes(wasm, scratch, 64), bytes(ts, scratch, 64), `key scratch: ${where}`);
  }
  if (lowered) assert.equal(trampolineCalls, 0, `${name}: the helper went through the trampoline`);
  else assert.ok(trampolineCalls > 0, `${name}: expected the trampoline`);
}

const walkCases: Case[] = [
  { stopAt: 1000n, flags: 0n }, { stopAt: 1n, flags: 0n }, { stopAt: 3n, flags: 0n, stopValue: 0x100000000n },
  { stopAt: 1000n, flags: 1n }, { stopAt: 2n, flags: 1n << 40n },
];

test('bpf_for_each_map_elem over ARRAY and PERCPU_ARRAY: callbacks as wasm calls match the TS helper', () => {
  for (const [type, perCpu] of [[MapType.ARRAY, false], [MapType.PERCPU_ARRAY, true]] as const) {
    const make = (arena: Arena): BpfMap => {
      const map = ArrayMap.create(arena, { name: `a${type}`, type, keySize: 4, valueSize: 12, maxEntries: 7, flags: 0 }, perCpu);
      for (let i = 0; i < 7; i++) {
        for (let c = 0; c < CPUS; c++) {
          const v = new Uint8Array(12).fill(i * 16 + c + 1);
          map.write(Uint8Array.of(i, 0, 0, 0), Array.from({ length: CPUS }, (_, k) => v.map((b) => b + k)), 0);
        }
      }
      return map;
    };
    compare(`for_each ${perCpu ? 'percpu ' : ''}array`, FOR_EACH, make, walkCases);
  }
});

function hashMaker(type: number, perCpu: boolean, keySize: number) {
  return (arena: Arena): BpfMap => {
    const map = HashMap.create(arena, { name: `h${type}_${keySize}`, type, keySize, valueSize: 8, maxEntries: 16, flags: 0 }, perCpu, 0x9e3779b9);
    for (let s = 0; s < 11; s++) {
      const k = Uint8Array.from({ length: keySize }, (_, i) => (s * 37 + i * 11) & 0xff);
      map.update(k, new Uint8Array(8).fill(s + 1), 0, CPU);
    }
    return map;
  };
}

test('bpf_for_each_map_elem over HASH and PERCPU_HASH: bucket-then-chain order, keys in the scratch, as the TS helper', () => {
  for (const [type, perCpu, keySize] of [[MapType.HASH, false, 4], [MapType.HASH, false, 13], [MapType.PERCPU_HASH, true, 6], [MapType.HASH, false, 1]] as const) {
    compare(`for_each hash type ${type} key ${keySize}`, FOR_EACH, hashMaker(type, perCpu, keySize), [...walkCases, { stopAt: 11n, flags: 0n }]);
  }
});

test('a for_each callback that deletes from the hash map it walks keeps the trampoline (snapshot semantics)', () => {
  const make = hashMaker(MapType.HASH, false, 4);
  // callback(map, key, value, ctx): count into ctx, then bpf_map_delete_elem(map, key) (r1, r2 as given).
  const insns = (mapAddr: number): Insn[] => {
    const main = mainPart(FOR_EACH, mapAddr, 0);
    return [
      ...mainPart(FOR_EACH, mapAddr, main.length),
      ldx(Size.DW, 0, 4, 8), aluK(AluOp.ADD, 0, 1), stx(Size.DW, 4, 0, 8),
      callHelper(3), insn(Class.ALU64 | AluOp.MOV, 0, 0, 0, 0), exit(),
    ];
  };
  compare('for_each deleting', FOR_EACH, make, [{ stopAt: 0n, flags: 0n }], false, insns);
});

test('bpf_loop: iterations, early stop, flags and nr_loops limits as the TS helper', () => {
  const make = (arena: Arena): BpfMap => ArrayMap.create(arena, { name: 'unused', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 }, false);
  compare('bpf_loop', LOOP, make, [
    { stopAt: 1000n, flags: 0n, loops: 10n }, { stopAt: 4n, flags: 0n, loops: 10n }, { stopAt: 1000n, flags: 0n, loops: 0n },
    { stopAt: 1n, flags: 0n, loops: 1n, stopValue: 1n << 63n }, { stopAt: 1000n, flags: 2n, loops: 5n },
    { stopAt: 1000n, flags: 0n, loops: (1n << 23n) + 1n }, { stopAt: 1000n, flags: 0n, loops: (1n << 32n) + 3n },
    { stopAt: 1000n, flags: 0n, loops: 1n << 23n, stopValue: 1n }, { stopAt: 5000n, flags: 0n, loops: 4096n },
  ]);
});
