/**
 * The wasm map helpers (jit/lower-map-helpers.ts, lower-map-hash.ts, lower-map-bloom.ts) against the TS maps
 * (src/vm/maps/) on random operation sequences (design.md §2: one layout, two implementations): the same
 * sequence runs through the TS map on one arena and through the JIT-compiled helpers on an identical second
 * arena, and after every operation the results and the map's whole arena bytes (entries, chains, free list,
 * LRU list and reference bits, count) must be equal. Both backends: the direct encoder and Binaryen -O2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { MapType } from '../../src/ebpf/object-spec.js';
import { ArrayMap } from '../../src/vm/maps/array.js';
import { HashMap } from '../../src/vm/maps/hash.js';
import { BloomFilterMap } from '../../src/vm/maps/bloom-filter.js';
import type { BpfMap } from '../../src/vm/maps/bpf-map.js';
import { HelperId } from '../../jit/module-abi.js';
import { MapHelperId } from '../../jit/lower-map-helpers.js';
import { hex, prng, randomBytes } from '../vm/maps/random.js';
import { ARG_VALUE_OFF, helperRunner, type HelperRunner } from './map-harness.js';
import { AluOp, Class, PseudoSrc, Source } from '../../src/ebpf/opcodes.js';
import type { Insn } from '../../src/ebpf/insn.js';
import { buildHelpers } from '../../src/vm/helpers/helper-table.js';
import type { HelperEnv } from '../../src/vm/helpers/helper-env.js';
import { CaptureClock } from '../../src/vm/clock.js';
import { openMap } from '../../src/vm/maps/registry.js';
import { compileProgram } from '../../jit/compile.js';
import { createInlineHelpers } from '../../jit/inline-helpers.js';
import { JitInstance } from '../../jit/instance.js';
import { callHelper, exit, insn, ldImm64 } from './insn-builders.js';

const CPUS = 3;
const FLAGS = [0n, 0n, 0n, 1n, 2n, 3n, 4n, 6n, 1n << 32n];

interface Pair { readonly ts: BpfMap; readonly arena: Arena; readonly wasm: Arena; readonly addr: number; readonly footprint: number }

/** The same map created in two identical arenas. */
function pair(make: (arena: Arena) => BpfMap): Pair {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: CPUS });
  const wasm = Arena.create({ maxBytes: 16 << 20, cpus: CPUS });
  const ts = make(arena);
  const other = make(wasm);
  assert.equal(other.addr, ts.addr);
  return { ts, arena, wasm, addr: ts.addr, footprint: ts.footprint };
}

function assertSameBytes(p: Pair, what: string): void {
  const a = p.arena.u8.subarray(p.addr, p.addr + p.footprint);
  const b = p.wasm.u8.subarray(p.addr, p.addr + p.footprint);
  if (Buffer.compare(a, b) === 0) return;
  let i = 0;
  while (a[i] === b[i]) i++;
  assert.fail(`${what}: map bytes differ first at +${i} (TS ${a[i]}, wasm ${b[i]})`);
}

/** The helper's flags argument as map-helpers.ts hands it to the map: any upper bit → 0xffffffff. */
const flagsArg = (f: bigint): number => (f >> 32n !== 0n ? 0xffffffff : Number(f));

/** Runners for helper ids on each CPU (the instance's CPU is fixed at creation). */
function runners(p: Pair, ids: readonly number[], optimizeLevel: 0 | 2): Map<number, HelperRunner[]> {
  return new Map(ids.map((id) => [id, Array.from({ length: CPUS }, (_, cpu) => helperRunner(p.wasm, [p.addr], id, cpu, optimizeLevel))]));
}

function hashSequence(name: string, make: (arena: Arena) => HashMap, keySize: number, keySpace: number, steps: number): void {
  for (const optimizeLevel of [0, 2] as const) {
    const p = pair(make);
    const valueSize = p.ts.params.valueSize;
    const run = runners(p, [HelperId.MAP_LOOKUP_ELEM, MapHelperId.UPDATE, MapHelperId.DELETE, MapHelperId.LOOKUP_PERCPU], optimizeLevel);
    const argA = p.arena.alloc(2048, 'args');
    const argB = p.wasm.alloc(2048, 'args');
    const rand = prng(0xab5eed + keySize * 7 + optimizeLevel);
    const keys = Array.from({ length: keySpace }, () => randomBytes(rand, keySize));
    const counts = { update: 0, updateOk: 0, delete: 0, deleteOk: 0, hit: 0 };
    for (let step = 0; step < steps; step++) {
      const key = keys[Math.floor(rand() * keys.length)]!;
      const value = randomBytes(rand, valueSize);
      const cpu = Math.floor(rand() * CPUS);
      for (const [arena, arg] of [[p.arena, argA], [p.wasm, argB]] as const) {
        arena.u8.set(key, arg);
        arena.u8.set(value, arg + ARG_VALUE_OFF);
      }
      const r = rand();
      const what = `${name} -O${optimizeLevel} step ${step} key ${hex(key)}`;
      if (r < 0.45) {
        const flags = FLAGS[Math.floor(rand() * FLAGS.length)]!;
        const want = p.ts.update(p.arena.u8.subarray(argA, argA + keySize), p.arena.u8.subarray(argA + ARG_VALUE_OFF, argA + ARG_VALUE_OFF + valueSize), flagsArg(flags), cpu);
        assert.equal(run.get(MapHelperId.UPDATE)![cpu]!.call(argB, flags), BigInt.asUintN(64, BigInt(want)), `${what} update flags ${flags}`);
        counts.update++;
        if (want === 0) counts.updateOk++;
      } else if (r < 0.6) {
        const want = p.ts.delete(p.arena.u8.subarray(argA, argA + keySize));
        assert.equal(run.get(MapHelperId.DELETE)![cpu]!.call(argB, 0n), BigInt.asUintN(64, BigInt(want)), `${what} delete`);
        counts.delete++;
        if (want === 0) counts.deleteOk++;
      } else if (r < 0.85) {
        const want = p.ts.lookup(p.arena.u8.subarray(argA, argA + keySize), cpu);
        assert.equal(run.get(HelperId.MAP_LOOKUP_ELEM)![cpu]!.call(argB, 0n), BigInt(want), `${what} lookup`);
        if (want !== 0) counts.hit++;
      } else {
        // lookup_percpu from some CPU for CPU `target` (out of range included).
        const target = BigInt([0, 1, 2, 3, 7][Math.floor(rand() * 5)]!) | (rand() < 0.1 ? 1n << 40n : 0n);
        const want = target >= BigInt(p.ts.ncpus) ? 0 : p.ts.lookup(p.arena.u8.subarray(argA, argA + keySize), Number(target));
        assert.equal(run.get(MapHelperId.LOOKUP_PERCPU)![cpu]!.call(argB, target), BigInt(want), `${what} lookup_percpu ${target}`);
      }
      assertSameBytes(p, what);
    }
    for (const [k, n] of Object.entries(counts)) assert.ok(n > steps / 40, `${name}: only ${n} × ${k}: the sequence does not exercise it`);
  }
}

test('HASH and PERCPU_HASH update / delete / lookups in wasm leave the same arena bytes as HashMap', () => {
  hashSequence('hash4', (a) => HashMap.create(a, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 12, maxEntries: 16, flags: 0 }, false, 0x1234), 4, 24, 600);
  hashSequence('hash13', (a) => HashMap.create(a, { name: 'h', type: MapType.HASH, keySize: 13, valueSize: 3, maxEntries: 8, flags: 0 }, false, 7), 13, 12, 600);
  hashSequence('percpu6', (a) => HashMap.create(a, { name: 'h', type: MapType.PERCPU_HASH, keySize: 6, valueSize: 20, maxEntries: 8, flags: 0 }, true, 99), 6, 12, 600);
});

test('LRU_HASH and LRU_PERCPU_HASH: evictions, reference bits and the LRU list as HashMap', () => {
  hashSequence('lru4', (a) => HashMap.create(a, { name: 'l', type: MapType.LRU_HASH, keySize: 4, valueSize: 16, maxEntries: 8, flags: 0 }, false, 5, true), 4, 20, 800);
  hashSequence('lrupercpu12', (a) => HashMap.create(a, { name: 'l', type: MapType.LRU_PERCPU_HASH, keySize: 12, valueSize: 8, maxEntries: 6, flags: 0 }, true, 11, true), 12, 16, 800);
});

test('ARRAY and PERCPU_ARRAY update / delete / lookup_percpu in wasm as ArrayMap', () => {
  for (const optimizeLevel of [0, 2] as const) {
    for (const [type, perCpu] of [[MapType.ARRAY, false], [MapType.PERCPU_ARRAY, true]] as const) {
      const p = pair((a) => ArrayMap.create(a, { name: 'a', type, keySize: 4, valueSize: 13, maxEntries: 5, flags: 0 }, perCpu));
      const run = runners(p, [MapHelperId.UPDATE, MapHelperId.DELETE, MapHelperId.LOOKUP_PERCPU], optimizeLevel);
      const argA = p.arena.alloc(2048, 'args');
      const argB = p.wasm.alloc(2048, 'args');
      const rand = prng(0xa77a + type + optimizeLevel);
      for (let step = 0; step < 300; step++) {
        const key = new Uint8Array(new Uint32Array([[0, 1, 4, 5, 6, 0xffffffff][Math.floor(rand() * 6)]!]).buffer);
        const value = randomBytes(rand, 13);
        const cpu = Math.floor(rand() * CPUS);
        for (const [arena, arg] of [[p.arena, argA], [p.wasm, argB]] as const) {
          arena.u8.set(key, arg);
          arena.u8.set(value, arg + ARG_VALUE_OFF);
        }
        const what = `array type ${type} -O${optimizeLevel} step ${step} key ${hex(key)}`;
        const r = rand();
        if (r < 0.6) {
          const flags = FLAGS[Math.floor(rand() * FLAGS.length)]!;
          const want = p.ts.update(key, value, flagsArg(flags), cpu);
          assert.equal(run.get(MapHelperId.UPDATE)![cpu]!.call(argB, flags), BigInt.asUintN(64, BigInt(want)), `${what} update ${flags}`);
        } else if (r < 0.7) {
          assert.equal(run.get(MapHelperId.DELETE)![cpu]!.call(argB, 0n), BigInt.asUintN(64, BigInt(p.ts.delete(key))), `${what} delete`);
        } else {
          const target = BigInt(Math.floor(rand() * (CPUS + 2)));
          const want = target >= BigInt(p.ts.ncpus) ? 0 : p.ts.lookup(key, Number(target));
          assert.equal(run.get(MapHelperId.LOOKUP_PERCPU)![cpu]!.call(argB, target), BigInt(want), `${what} lookup_percpu ${target}`);
        }
        assertSameBytes(p, what);
      }
    }
  }
});

test('BLOOM_FILTER push / peek in wasm set and test the same bits as BloomFilterMap', () => {
  for (const optimizeLevel of [0, 2] as const) {
    for (const [valueSize, hashes, seed] of [[16, 3, 0], [4, 5, 0x9e37], [13, 1, 77], [25, 0, 3]] as const) {
      const p = pair((a) => BloomFilterMap.create(a, { name: 'b', type: MapType.BLOOM_FILTER, keySize: 0, valueSize, maxEntries: 40, flags: 0, mapExtra: hashes }, seed));
      const run = runners(p, [MapHelperId.PUSH, MapHelperId.PEEK], optimizeLevel);
      const argA = p.arena.alloc(2048, 'args');
      const argB = p.wasm.alloc(2048, 'args');
      const rand = prng(0xb100 + valueSize + optimizeLevel);
      const bloom = p.ts as BloomFilterMap;
      let present = 0;
      const pool = Array.from({ length: 40 }, () => randomBytes(rand, valueSize));
      for (let step = 0; step < 300; step++) {
        const value = pool[Math.floor(rand() * pool.length)]!;
        p.arena.u8.set(value, argA);
        p.wasm.u8.set(value, argB);
        const what = `bloom ${valueSize}/${hashes} -O${optimizeLevel} step ${step} value ${hex(value)}`;
        if (rand() < 0.4) {
          const flags = rand() < 0.8 ? 0n : FLAGS[Math.floor(rand() * FLAGS.length)]!;
          assert.equal(run.get(MapHelperId.PUSH)![0]!.call(argB, flags), BigInt.asUintN(64, BigInt(bloom.push(value, flagsArg(flags)))), `${what} push`);
        } else {
          const want = bloom.peek(value);
          if (want === 0) present++;
          assert.equal(run.get(MapHelperId.PEEK)![0]!.call(argB, 0n), BigInt.asUintN(64, BigInt(want)), `${what} peek`);
        }
        assertSameBytes(p, what);
      }
      assert.ok(present > 20, `bloom ${valueSize}: only ${present} peeks found their value`);
    }
  }
});

test('an update whose value lies in the map\'s own storage takes the trampoline, with the TS map\'s result and bytes', () => {
  // r2 = key (run's r1), r3 = value (run's r2), r4 = BPF_ANY, r1 = map; r0 = bpf_map_update_elem.
  const program = (mapAddr: number): Insn[] => [
    insn(Class.ALU64 | AluOp.MOV | Source.X, 3, 2), insn(Class.ALU64 | AluOp.MOV | Source.X, 2, 1),
    insn(Class.ALU64 | AluOp.MOV | Source.K, 4, 0, 0, 0), ...ldImm64(1, BigInt(mapAddr), PseudoSrc.MAP_FD), callHelper(MapHelperId.UPDATE), exit(),
  ];
  for (const optimizeLevel of [0, 2] as const) {
    for (const kind of ['array', 'hash'] as const) {
      const make = (a: Arena): BpfMap => kind === 'array'
        ? ArrayMap.create(a, { name: 'a', type: MapType.ARRAY, keySize: 4, valueSize: 24, maxEntries: 4, flags: 0 }, false)
        : HashMap.create(a, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 24, maxEntries: 4, flags: 0 }, false, 3);
      const p = pair(make);
      const env = (arena: Arena, map: BpfMap): HelperEnv => ({
        arena, clock: new CaptureClock(), mapAt: (a) => (a === map.addr ? map : undefined), checkMem: () => undefined, programById: () => undefined,
        fault: (c, message) => new Error(`insn ${c.insn}: ${message}`), deviceMtu: () => undefined, allMaps: () => [map], emit: () => undefined,
      });
      const wasmMap = openMap(p.wasm, 'w', p.addr);
      const helpers = buildHelpers(env(p.wasm, wasmMap));
      let trampolineCalls = 0;
      const compiled = compileProgram({ name: 'self_update', insns: program(p.addr), funcs: [] }, { inlineHelper: createInlineHelpers(p.wasm.u32), optimizeLevel, validate: true });
      const jit = new JitInstance(compiled, { memory: p.wasm.memory, cpu: 0, helpers: (id) => { trampolineCalls++; return helpers(id); } });
      const keyA = p.arena.alloc(64, 'key');
      const keyB = p.wasm.alloc(64, 'key');
      const key = (i: number): Uint8Array => new Uint8Array(new Uint32Array([i]).buffer);
      for (const i of [0, 1]) {
        const v = new Uint8Array(24).fill(0x40 + i);
        assert.equal(p.ts.update(key(i), v, 0, 0), 0);
        assert.equal(wasmMap.update(key(i), v, 0, 0), 0);
      }
      // Copy entry 0's value over key 1's (then over a new key 2's) through its own lookup pointer.
      for (const target of [1, 2]) {
        p.arena.u8.set(key(target), keyA);
        p.wasm.u8.set(key(target), keyB);
        const src = p.ts.lookup(key(0), 0);
        assert.equal(wasmMap.lookup(key(0), 0), src);
        const want = p.ts.update(key(target), p.arena.u8.slice(src, src + 24), 0, 0);
        const before = trampolineCalls;
        assert.equal(jit.run(BigInt(keyB), BigInt(src)), BigInt.asUintN(64, BigInt(want)), `${kind} -O${optimizeLevel} key ${target}`);
        assert.equal(trampolineCalls, before + 1, 'the overlapping update went through the trampoline');
        assertSameBytes(p, `${kind} -O${optimizeLevel} self-update of key ${target}`);
      }
      // A value outside the map stays in wasm.
      const outside = p.wasm.alloc(64, 'value');
      p.wasm.u8.fill(7, outside, outside + 24);
      const before = trampolineCalls;
      assert.equal(jit.run(BigInt(keyB), BigInt(outside)), 0n);
      assert.equal(trampolineCalls, before, 'a value outside the map is copied in wasm');
    }
  }
});
