/**
 * The JIT's wasm map lookups (jit/inline-helpers.ts) against the runtime's TS maps over the same arena
 * bytes (design.md §2: one layout, two implementations, compared).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { MapType } from '../../src/ebpf/object-spec.js';
import { ArrayMap } from '../../src/vm/maps/array.js';
import { HashMap } from '../../src/vm/maps/hash.js';
import type { BpfMap } from '../../src/vm/maps/bpf-map.js';
import { Class, AluOp, Source, PseudoSrc } from '../../src/ebpf/opcodes.js';
import { compileProgram } from '../../jit/compile.js';
import { createInlineHelpers } from '../../jit/inline-helpers.js';
import { JitInstance } from '../../jit/instance.js';
import { callHelper, exit, insn, ldImm64 } from './insn-builders.js';

const CPUS = 3;
const RUN_CPU = 2;

/** r2 = r1 (the key's address); r1 = map; r0 = bpf_map_lookup_elem(r1, r2); or, for helper 8, the CPU. */
function lookupProgram(map: BpfMap) {
  return [
    insn(Class.ALU64 | AluOp.MOV | Source.X, 2, 1),
    ...ldImm64(1, BigInt(map.addr), PseudoSrc.MAP_FD),
    callHelper(1),
    exit(),
  ];
}

function keyBytes(size: number, seed: number): Uint8Array {
  const k = new Uint8Array(size);
  for (let i = 0; i < size; i++) k[i] = (seed * 131 + i * 17 + (seed >> 3)) & 0xff;
  return k;
}

function checkLookups(arena: Arena, map: BpfMap, keys: Uint8Array[]): void {
  const compiled = compileProgram({ name: map.name, insns: lookupProgram(map), funcs: [] }, { inlineHelper: createInlineHelpers(arena.u32) });
  const noHelpers = (id: number) => { throw new Error(`helper ${id} reached the trampoline: the lookup was not inlined`); };
  const jit = new JitInstance(compiled, { memory: arena.memory, cpu: RUN_CPU, helpers: noHelpers });
  const keyAddr = arena.alloc(512, 'test key');
  for (const key of keys) {
    arena.u8.set(key, keyAddr);
    const got = jit.run(BigInt(keyAddr), 0n);
    assert.equal(got, BigInt(map.lookup(key, RUN_CPU)), `${map.name} key ${Buffer.from(key).toString('hex')}`);
  }
}

test('inline ARRAY and PERCPU_ARRAY lookups give the TS map\'s value addresses, NULL past max_entries', () => {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: CPUS });
  for (const [type, perCpu] of [[MapType.ARRAY, false], [MapType.PERCPU_ARRAY, true]] as const) {
    const map = ArrayMap.create(arena, { name: `a${type}`, type, keySize: 4, valueSize: 12, maxEntries: 37, flags: 0 }, perCpu);
    const keys = [0, 1, 36, 37, 38, 1000, 0xffffffff].map((i) => { const k = new Uint8Array(4); new DataView(k.buffer).setUint32(0, i, true); return k; });
    checkLookups(arena, map, keys);
  }
});

test('inline HASH and PERCPU_HASH lookups find every present key and miss absent ones', () => {
  const arena = Arena.create({ maxBytes: 64 << 20, cpus: CPUS });
  for (const [type, perCpu, keySize] of [
    [MapType.HASH, false, 4], [MapType.HASH, false, 13], [MapType.HASH, false, 2], [MapType.PERCPU_HASH, true, 16], [MapType.HASH, false, 1],
  ] as const) {
    const map = HashMap.create(arena, { name: `h${type}_${keySize}`, type, keySize, valueSize: 8, maxEntries: 64, flags: 0 }, perCpu, 0x9e3779b9);
    const present: Uint8Array[] = [];
    for (let s = 0; present.length < 40 && s < 400; s++) {
      const k = keyBytes(keySize, s);
      if (map.update(k, new Uint8Array(8).fill(s), 0, 0) === 0) present.push(k);
    }
    assert.ok(present.length >= 20, `only ${present.length} keys inserted into ${map.name}`);
    assert.ok(present.every((k) => map.lookup(k, RUN_CPU) !== 0));
    const absent = Array.from({ length: 20 }, (_, s) => keyBytes(keySize, 1000 + s));
    checkLookups(arena, map, [...present, ...absent]);
  }
});

test('bpf_get_smp_processor_id is the instance\'s CPU without a trampoline call', () => {
  const arena = Arena.create({ maxBytes: 4 << 20, cpus: CPUS });
  const compiled = compileProgram({ name: 'cpu', insns: [callHelper(8), exit()], funcs: [] }, { inlineHelper: createInlineHelpers(arena.u32) });
  const jit = new JitInstance(compiled, { memory: arena.memory, cpu: RUN_CPU, helpers: () => undefined });
  assert.equal(jit.run(0n, 0n), BigInt(RUN_CPU));
});
