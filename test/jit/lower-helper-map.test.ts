/**
 * The wasm lookups of jit/lower-helper-map.ts against the runtime's TS maps on the same arena: ARRAY_OF_MAPS
 * and HASH_OF_MAPS known at compile time, and lookups whose map is only known at run time (ARRAY and
 * PERCPU_ARRAY in wasm, a HASH through the trampoline).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { MapType } from '../../src/ebpf/object-spec.js';
import { AluOp, Class, JmpOp, PseudoSrc, Source } from '../../src/ebpf/opcodes.js';
import { ArrayMap } from '../../src/vm/maps/array.js';
import { HashMap } from '../../src/vm/maps/hash.js';
import { SlotArrayMap } from '../../src/vm/maps/slot-array.js';
import type { BpfMap } from '../../src/vm/maps/bpf-map.js';
import { buildHelpers } from '../../src/vm/helpers/helper-table.js';
import type { HelperEnv } from '../../src/vm/helpers/helper-env.js';
import { CaptureClock } from '../../src/vm/clock.js';
import { compileProgram } from '../../jit/compile.js';
import { createInlineHelpers } from '../../jit/inline-helpers.js';
import { JitInstance } from '../../jit/instance.js';
import { callHelper, exit, insn, ldImm64 } from './insn-builders.js';

const CPUS = 3;
const CPU = 2;
const u32Key = (i: number): Uint8Array => new Uint8Array(new Uint32Array([i]).buffer);

function setup() {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: CPUS });
  const maps = new Map<number, BpfMap>();
  const env: HelperEnv = {
    arena, clock: new CaptureClock(), mapAt: (a) => maps.get(a), checkMem: () => undefined, programById: () => undefined,
    fault: (c, message) => new Error(`insn ${c.insn}: ${message}`), deviceMtu: () => undefined, allMaps: () => [...maps.values()],
    emit: () => undefined,
  };
  const add = <M extends BpfMap>(m: M): M => { maps.set(m.addr, m); return m; };
  return { arena, helpers: buildHelpers(env), add };
}

/**
 * r2 = key address (r1 on entry); r1 = `map` (a map reference, or when `dynamic` a plain constant in another
 * block, so the lowering cannot know it); r0 = bpf_map_lookup_elem. Returns [lowered r0, TS r0, trampoline calls].
 */
function lookupBoth(s: ReturnType<typeof setup>, map: BpfMap, key: Uint8Array, dynamic: boolean): [bigint, bigint, number] {
  const insns = [
    insn(Class.ALU64 | AluOp.MOV | Source.X, 2, 1),
    ...ldImm64(1, BigInt(map.addr), dynamic ? PseudoSrc.IMM : PseudoSrc.MAP_FD),
    ...(dynamic ? [insn(Class.JMP | JmpOp.JA)] : []),
    callHelper(1), exit(),
  ];
  const program = { name: map.name, insns, funcs: [] };
  let calls = 0;
  const lowered = new JitInstance(compileProgram(program, { inlineHelper: createInlineHelpers(s.arena.u32) }), {
    memory: s.arena.memory, cpu: CPU, helpers: (h) => { calls++; return s.helpers(h); },
  });
  const keyAddr = s.arena.alloc(64, 'key');
  s.arena.u8.set(key, keyAddr);
  const got = lowered.run(BigInt(keyAddr), 0n);
  return [got, BigInt(map.lookup(key, CPU)), calls];
}

test('ARRAY_OF_MAPS and HASH_OF_MAPS lookups in wasm give the inner map address the TS map gives, or NULL', () => {
  const s = setup();
  const inner = s.add(ArrayMap.create(s.arena, { name: 'inner', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 }, false));
  const aom = s.add(SlotArrayMap.create(s.arena, { name: 'aom', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 }));
  assert.equal(aom.write(u32Key(1), [u32Key(inner.addr)], 0), 0);
  const hom = s.add(HashMap.create(s.arena, { name: 'hom', type: MapType.HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 8, flags: 0 }, false, 7));
  assert.equal(hom.write(u32Key(17), [u32Key(inner.addr)], 0), 0);
  for (const [map, keys] of [[aom, [0, 1, 3, 4, 0x40000000, 0xffffffff]], [hom, [6, 17, 18]]] as const) {
    for (const k of keys) {
      const [got, want, calls] = lookupBoth(s, map, u32Key(k), false);
      assert.equal(got, want, `${map.name} key ${k}`);
      assert.equal(calls, 0, `${map.name} key ${k}: trampoline`);
    }
  }
  assert.equal(lookupBoth(s, aom, u32Key(1), false)[0], BigInt(inner.addr));
});

test('lookups in a map known only at run time: arrays in wasm, other maps through the trampoline', () => {
  const s = setup();
  const array = s.add(ArrayMap.create(s.arena, { name: 'a', type: MapType.ARRAY, keySize: 4, valueSize: 12, maxEntries: 5, flags: 0 }, false));
  const percpu = s.add(ArrayMap.create(s.arena, { name: 'p', type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 12, maxEntries: 5, flags: 0 }, true));
  const hash = s.add(HashMap.create(s.arena, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8, flags: 0 }, false, 3));
  assert.equal(hash.update(u32Key(2), new Uint8Array(8), 0, 0), 0);
  for (const map of [array, percpu]) {
    for (const k of [0, 4, 5, 0xffffffff]) {
      const [got, want, calls] = lookupBoth(s, map, u32Key(k), true);
      assert.equal(got, want, `${map.name} key ${k}`);
      assert.equal(calls, 0);
    }
  }
  for (const k of [2, 3]) {
    const [got, want, calls] = lookupBoth(s, hash, u32Key(k), true);
    assert.equal(got, want, `hash key ${k}`);
    assert.equal(calls, 1);
  }
});
