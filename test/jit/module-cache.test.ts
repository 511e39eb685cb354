/** Compiled-module cache keys and the `.rodata` specialisation they protect. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { MapType } from '../../src/ebpf/object-spec.js';
import { ArrayMap } from '../../src/vm/maps/array.js';
import { Class, Mode, PseudoSrc, Size } from '../../src/ebpf/opcodes.js';
import { CompiledModuleCache } from '../../jit/module-cache.js';
import { JitInstance } from '../../jit/instance.js';
import { callHelper, exit, insn, ldImm64 } from './insn-builders.js';

/** r0 = *(u32 *)(rodata + 4) */
const rodataLoad = (addr: number) => ({
  name: 'cfg', funcs: [],
  insns: [...ldImm64(1, BigInt(addr), PseudoSrc.MAP_VALUE), insn(Class.LDX | Mode.MEM | Size.W, 0, 1, 4), exit()],
});

test('loads from frozen .rodata fold to the bytes the module was specialised on, and the key changes with them', () => {
  const arena = Arena.create({ maxBytes: 4 << 20 });
  const addr = arena.alloc(16, 'rodata');
  const u8 = arena.u8;
  u8.set([0, 0, 0, 0, 0x2a, 0, 0, 0], addr);
  const cache = new CompiledModuleCache();
  const ro = [{ addr, bytes: u8.slice(addr, addr + 16) }];
  const folded = cache.getOrCompile(rodataLoad(addr), { readOnly: ro });
  const plain = cache.getOrCompile(rodataLoad(addr), {});
  assert.equal(cache.misses, 2);
  u8[addr + 4] = 0x07; // the arena changes after compilation: only the unspecialised module sees it
  const run = (c: typeof folded): bigint => new JitInstance(c, { memory: arena.memory, cpu: 0, helpers: () => undefined }).run(0n, 0n);
  assert.equal(run(folded), 0x2an);
  assert.equal(run(plain), 0x07n);
  assert.equal(cache.getOrCompile(rodataLoad(addr), { readOnly: ro }), folded);
  assert.equal(cache.hits, 1);
  const changed = [{ addr, bytes: u8.slice(addr, addr + 16) }];
  assert.notEqual(cache.getOrCompile(rodataLoad(addr), { readOnly: changed }), folded);
  assert.notEqual(cache.getOrCompile(rodataLoad(addr), { readOnly: ro, harden: true }), folded);
  assert.notEqual(cache.getOrCompile(rodataLoad(addr), { readOnly: ro, optimizeLevel: 2 }), folded);
});

test('a program bound to a different map compiles again; the same bindings hit', () => {
  const arena = Arena.create({ maxBytes: 8 << 20 });
  const mk = (n: number) => ArrayMap.create(arena, { name: `m${n}`, type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: n, flags: 0 }, false);
  const a = mk(4);
  const b = mk(8);
  const prog = (addr: number) => ({ name: 'p', funcs: [], insns: [...ldImm64(1, BigInt(addr), PseudoSrc.MAP_FD), callHelper(1), exit()] });
  const cache = new CompiledModuleCache(2);
  const spec = { arena };
  const ca = cache.getOrCompile(prog(a.addr), spec);
  assert.equal(cache.getOrCompile(prog(a.addr), spec), ca);
  cache.getOrCompile(prog(b.addr), spec);
  assert.deepEqual([cache.hits, cache.misses, cache.size], [1, 2, 2]);
  cache.getOrCompile(prog(b.addr), { arena, promoteStack: false });
  assert.equal(cache.size, 2, 'capacity bounds the cache');
});
