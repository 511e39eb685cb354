/**
 * `--harden` checks of helper memory arguments (jit/harden-helper-args.ts): inside the frame's packet, this
 * CPU's stack, the ctx or a map's values they pass; anywhere else (or straddling an object's end) the frame
 * fails before the helper runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { Desc, DESC_SIZE, stackTop } from '../../src/vm/arena-layout.js';
import { RuntimeFault } from '../../src/vm/exec-types.js';
import { buildHelpers } from '../../src/vm/helpers/helper-table.js';
import type { HelperEnv } from '../../src/vm/helpers/helper-env.js';
import { CaptureClock } from '../../src/vm/clock.js';
import { MapHdr } from '../../src/vm/maps/map-header.js';
import { compileProgram } from '../../jit/compile.js';
import { JitInstance } from '../../jit/instance.js';
import { helperArgViolation } from '../../jit/harden-helper-args.js';
import type { Region } from '../../jit/harden.js';
import { callHelper, exit, ldImm64 } from './insn-builders.js';

function setup(): { arena: Arena; desc: number; map: number; values: Region; objects: Map<number, Region> } {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 1 });
  const desc = arena.alloc(DESC_SIZE, 'desc');
  const slot = arena.alloc(4096, 'slot');
  const u32 = arena.u32;
  u32[(desc + Desc.SLOT) >>> 2] = slot;
  u32[(desc + Desc.DATA_META) >>> 2] = slot + 256;
  u32[(desc + Desc.DATA) >>> 2] = slot + 256;
  u32[(desc + Desc.DATA_END) >>> 2] = slot + 320;
  const map = arena.alloc(256, 'map');
  u32[(map + MapHdr.KEY_SIZE) >>> 2] = 8;
  u32[(map + MapHdr.VALUE_SIZE) >>> 2] = 16;
  const values = { start: map + 128, end: map + 256 };
  return { arena, desc, map, values, objects: new Map([[map, values]]) };
}

test('helper memory arguments pass inside an object and fail outside or across its end', () => {
  const { arena, desc, map, values, objects } = setup();
  const top = stackTop(0);
  const regs = new Uint32Array(22);
  const check = (id: number, args: number[]): string | undefined => {
    regs.fill(0);
    args.forEach((v, i) => { regs[2 * (i + 1)] = v; });
    return helperArgViolation(id, regs, arena.u32, desc, top, objects);
  };
  const slot = arena.u32[(desc + Desc.SLOT) >>> 2]!;
  // bpf_map_lookup_elem: an 8-byte key.
  assert.equal(check(1, [map, top - 8]), undefined, 'key on the stack');
  assert.match(check(1, [map, top - 4]) ?? '', /argument 2 \(map_key\)/, 'key across the stack top');
  assert.equal(check(1, [map, values.start]), undefined, 'key in a map value');
  assert.match(check(1, [map, slot]) ?? '', /no object/, 'key in the headroom below data_meta');
  assert.equal(check(1, [map, slot + 256]), undefined, 'key in the packet');
  // bpf_map_update_elem: value of value_size 16.
  assert.equal(check(2, [map, top - 8, values.end - 16, 0]), undefined);
  assert.match(check(2, [map, top - 8, values.end - 15, 0]) ?? '', /argument 3 \(map_value\)/);
  // bpf_trace_printk: size in the next argument, an upper half makes it huge.
  assert.equal(check(6, [top - 32, 32]), undefined);
  assert.match(check(6, [top - 32, 33]) ?? '', /argument 1 \(mem\)/);
  regs.fill(0);
  regs[2] = top - 32;
  regs[4] = 8;
  regs[5] = 1;
  assert.match(helperArgViolation(6, regs, arena.u32, desc, top, objects) ?? '', /argument 1/);
  // bpf_csum_diff: NULL with size 0 is fine; an address outside everything is not.
  assert.equal(check(28, [0, 0, top - 16, 16, 0]), undefined);
  assert.match(check(28, [0x20000, 4, top - 16, 16, 0]) ?? '', /argument 1 \(mem_or_null\)/);
  // bpf_check_mtu's 4-byte mtu_len; helpers without memory arguments pass.
  assert.equal(check(163, [desc, 0, top - 4, 0, 0]), undefined);
  assert.match(check(163, [desc, 0, top - 2, 0, 0]) ?? '', /argument 3/);
  assert.equal(check(7, []), undefined);
});

test('a hardened instance fails the frame before a helper reads outside every object', () => {
  const { arena, desc, objects } = setup();
  const env: HelperEnv = {
    arena, clock: new CaptureClock(), mapAt: () => undefined, checkMem: () => undefined, programById: () => undefined,
    fault: (c, message) => new Error(`insn ${c.insn}: ${message}`), deviceMtu: () => undefined, allMaps: () => [],
    emit: () => undefined,
  };
  const helpers = buildHelpers(env);
  const top = stackTop(0);
  arena.u8.set([0x68, 0x69, 0], top - 8);
  const printk = (fmt: number): JitInstance => new JitInstance(
    compileProgram({ name: 'p', insns: [...ldImm64(1, BigInt(fmt)), ...ldImm64(2, 8n), callHelper(6), exit()], funcs: [] }, { harden: { key: 0x1234n, mapValues: objects } }),
    { memory: arena.memory, cpu: 0, helpers, helperArgObjects: objects });
  assert.equal(printk(top - 8).run(BigInt(desc), 0n, desc), 2n, 'the format on the stack is printed');
  assert.throws(() => printk(0x30000).run(BigInt(desc), 0n, desc), (e: unknown) => e instanceof RuntimeFault && /--harden: helper 6: argument 1/.test(e.message));
});
