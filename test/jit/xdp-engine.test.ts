/**
 * The JIT engine against the checked interpreter on every sample program (programs/*.o with its map fill)
 * over the sample captures: the same frame records (action, length, sha1, redirect, error), events and map
 * dump, frame by frame.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseObject } from '../../src/ebpf/loader.js';
import { readCapture } from '../../src/dataplane/capture/read-capture.js';
import { parseMapsText } from '../../src/vm/maps-file.js';
import { runCapture, type RunFrame } from '../../src/vm/runtime/run-capture.js';
import { UnsupportedFeatureError } from '../../src/ebpf/loader-errors.js';
import { createJitEngine, JitEngine } from '../../jit/xdp-engine.js';
import { Arena } from '../../src/vm/arena.js';
import { Runtime } from '../../src/vm/runtime/runtime.js';
import { CompiledModuleCache } from '../../jit/module-cache.js';
import { Wasm } from '../../jit/wasm-api.js';
import { MapType, type MapSpec } from '../../src/ebpf/object-spec.js';
import type { ExecProgram, HelperImpl } from '../../src/vm/exec-types.js';
import type { EngineFactory } from '../../src/vm/runtime/engine.js';
import { AluOp, Class, JmpOp, Mode, PseudoSrc, Size, Source, XdpAction } from '../../src/ebpf/opcodes.js';
import { DESC_SIZE, Desc, FRAME_SLOT_SIZE, XDP_PACKET_HEADROOM, stackTop } from '../../src/vm/arena-layout.js';
import { callHelper, exit, insn, ldImm64 } from './insn-builders.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const programsDir = join(root, 'programs');
const XDP_KINDS = new Set(['xdp', 'xdp.frags']);

function frames(file: string): RunFrame[] {
  return readCapture(readFileSync(join(root, 'pcaps', file))).frames.map((f) => ({ data: f.data, tsNs: f.tsNs }));
}

test('every sample program gives the interpreter\'s frame records, events and maps under the JIT', async (t) => {
  if (!existsSync(programsDir)) {
    t.skip(`no sample programs at ${programsDir}`);
    return;
  }
  const captured = [...frames('mixed.pcap'), ...frames('malformed.pcap')];
  const objects = readdirSync(programsDir).filter((f) => f.endsWith('.o')).sort();
  let compared = 0;
  const refused: string[] = [];
  for (const obj of objects) {
    const spec = parseObject(readFileSync(join(programsDir, obj)));
    const mapsFile = join(programsDir, obj.replace(/\.o$/, '.maps'));
    const mapLines = existsSync(mapsFile) ? parseMapsText(readFileSync(mapsFile, 'utf8'), mapsFile) : [];
    for (const prog of spec.programs.filter((p) => XDP_KINDS.has(p.kind))) {
      const opts = { program: prog.name, mapLines, cpus: 2, seed: 7 } as const;
      let want;
      try {
        want = await runCapture(spec, captured, { ...opts, engine: 'interp' });
      } catch (e) {
        if (!(e instanceof UnsupportedFeatureError)) throw e;
        refused.push(`${obj}:${prog.name} (${e.message})`); // the runtime refuses it for both engines
        continue;
      }
      const got = await runCapture(spec, captured, { ...opts, engine: createJitEngine });
      const label = `${obj}:${prog.name}`;
      for (let i = 0; i < want.frames.length; i++) assert.deepEqual(got.frames[i], want.frames[i], `${label} frame ${i}`);
      assert.deepEqual(got.events, want.events, `${label} events`);
      assert.deepEqual(got.maps, want.maps, `${label} maps`);
      compared++;
    }
  }
  t.diagnostic(`${compared} programs compared; refused by the runtime: ${refused.join('; ') || 'none'}`);
  assert.ok(compared >= 20, `only ${compared} sample programs compared`);
});

test('every sample program gives the same results hardened (address masking, constant blinding) as unhardened', async (t) => {
  if (!existsSync(programsDir)) {
    t.skip(`no sample programs at ${programsDir}`);
    return;
  }
  const captured = [...frames('mixed.pcap'), ...frames('malformed.pcap')];
  let compared = 0;
  for (const obj of readdirSync(programsDir).filter((f) => f.endsWith('.o')).sort()) {
    const spec = parseObject(readFileSync(join(programsDir, obj)));
    const mapsFile = join(programsDir, obj.replace(/\.o$/, '.maps'));
    const mapLines = existsSync(mapsFile) ? parseMapsText(readFileSync(mapsFile, 'utf8'), mapsFile) : [];
    for (const prog of spec.programs.filter((p) => XDP_KINDS.has(p.kind))) {
      const opts = { program: prog.name, mapLines, cpus: 2, seed: 7, engine: createJitEngine } as const;
      let want;
      try {
        want = await runCapture(spec, captured, opts);
      } catch (e) {
        if (!(e instanceof UnsupportedFeatureError)) throw e;
        continue;
      }
      const got = await runCapture(spec, captured, { ...opts, harden: true });
      const label = `${obj}:${prog.name} hardened`;
      for (let i = 0; i < want.frames.length; i++) assert.deepEqual(got.frames[i], want.frames[i], `${label} frame ${i}`);
      assert.deepEqual(got.events, want.events, `${label} events`);
      assert.deepEqual(got.maps, want.maps, `${label} maps`);
      compared++;
    }
  }
  t.diagnostic(`${compared} programs compared hardened vs unhardened`);
  assert.ok(compared >= 20, `only ${compared} sample programs compared`);
});

const arrayMap = (name: string): MapSpec => ({
  name, type: MapType.ARRAY, keySize: 4, valueSize: 64, maxEntries: 1, flags: 0, pinning: 'none', origin: { kind: 'btf' }, initSlots: [], globals: [],
});

/**
 * A program no verifier would accept, reaching three neighbours: from map A's value into map B's, from the
 * packet into the frame descriptor's reserved word, and from CPU 0's stack into CPU 1's.
 */
function strayWrites(runtime: Runtime, desc: number, data: number): ExecProgram {
  const a = runtime.maps.get('a')!;
  const b = runtime.maps.get('b')!;
  const DW = Size.DW;
  const insns = [
    insn(Class.ALU64 | AluOp.MOV | Source.X, 6, 1),
    insn(Class.ST | Mode.MEM | Size.W, 10, 0, -4, 0),
    insn(Class.ALU64 | AluOp.MOV | Source.X, 2, 10),
    insn(Class.ALU64 | AluOp.ADD | Source.K, 2, 0, 0, -4),
    ...ldImm64(1, BigInt(a.addr), PseudoSrc.MAP_FD),
    callHelper(1),
    insn(Class.JMP | JmpOp.JEQ | Source.K, 0, 0, 9, 0),
    insn(Class.ALU64 | AluOp.ADD | Source.K, 0, 0, 0, b.valueStart - a.valueStart),
    insn(Class.ST | Mode.MEM | DW, 0, 0, 0, 0x41414141),
    insn(Class.LDX | Mode.MEM | Size.W, 2, 6, 0, 0), // r2 = data
    insn(Class.ALU64 | AluOp.ADD | Source.K, 2, 0, 0, desc + 52 - data),
    insn(Class.ST | Mode.MEM | Size.W, 2, 0, 0, 0x42424242),
    insn(Class.ALU64 | AluOp.MOV | Source.X, 3, 10),
    insn(Class.ALU64 | AluOp.ADD | Source.K, 3, 0, 0, stackTop(1) - stackTop(0) - 8),
    insn(Class.ST | Mode.MEM | DW, 3, 0, 0, 0x43434343),
    insn(Class.ALU64 | AluOp.MOV | Source.K, 0, 0, 0, XdpAction.PASS),
    exit(),
  ];
  return { name: 'stray', insns, funcs: [], lines: [] };
}

function strayRun(harden: boolean): { a: Uint8Array; b: Uint8Array; descReserved: number; cpu1Stack: Uint8Array; packet: Uint8Array } {
  const arena = Arena.create({ maxBytes: 4 << 20, cpus: 2 });
  const runtime = Runtime.load(arena, { license: 'GPL', programs: [], maps: [arrayMap('a'), arrayMap('b')], runConfigs: new Map() });
  const slot = arena.alloc(FRAME_SLOT_SIZE, 'test slot');
  const desc = arena.alloc(DESC_SIZE, 'test descriptor');
  const data = slot + XDP_PACKET_HEADROOM;
  const u32 = arena.u32;
  u32[(desc + Desc.DATA) >>> 2] = data;
  u32[(desc + Desc.DATA_END) >>> 2] = data + 64;
  u32[(desc + Desc.DATA_META) >>> 2] = data;
  u32[(desc + Desc.SLOT) >>> 2] = slot;
  const prepared = new JitEngine(runtime, { harden, cache: new CompiledModuleCache() }).prepare(strayWrites(runtime, desc, data));
  assert.equal(Number(prepared.runFrame(desc, 0)), XdpAction.PASS);
  const value = (name: string): Uint8Array => runtime.maps.get(name)!.read(new Uint8Array(4))![0]!;
  return {
    a: value('a'), b: value('b'), descReserved: u32[(desc + 52) >>> 2]!,
    cpu1Stack: arena.u8.slice(stackTop(1) - 8, stackTop(1)), packet: arena.u8.slice(data, data + 8),
  };
}

test('unhardened, the stray writes reach the neighbours (so the hardened check below can fail)', () => {
  const r = strayRun(false);
  assert.equal(r.b[0], 0x41);
  assert.equal(r.descReserved, 0x42424242);
  assert.equal(r.cpu1Stack[0], 0x43);
});

test('hardened, each stray write stays inside its own object: map A\'s value, the packet, CPU 0\'s stack', () => {
  const r = strayRun(true);
  assert.deepEqual(r.b, new Uint8Array(64), 'map b untouched');
  assert.equal(r.descReserved, 0, 'descriptor untouched');
  assert.deepEqual(r.cpu1Stack, new Uint8Array(8), 'CPU 1 stack untouched');
  assert.equal(r.a[0], 0x41, 'the write landed at the start of map a\'s value storage');
  assert.equal(r.packet[0], 0x42, 'the write landed at the start of the packet (data_meta)');
});

test('hardened, an access through a pointer of no known object traps instead of writing', () => {
  const arena = Arena.create({ maxBytes: 4 << 20 });
  const runtime = Runtime.load(arena, { license: 'GPL', programs: [], maps: [arrayMap('a')], runConfigs: new Map() });
  const target = arena.alloc(64, 'victim');
  const program: ExecProgram = {
    name: 'forged', funcs: [], lines: [],
    insns: [...ldImm64(2, BigInt(target)), insn(Class.ST | Mode.MEM | Size.W, 2, 0, 0, 0x44444444), insn(Class.ALU64 | AluOp.MOV | Source.K, 0, 0, 0, 2), exit()],
  };
  const desc = arena.alloc(DESC_SIZE, 'test descriptor');
  const prepared = new JitEngine(runtime, { harden: true, cache: new CompiledModuleCache() }).prepare(program);
  assert.throws(() => prepared.runFrame(desc, 0), Wasm.RuntimeError);
  assert.equal(arena.u32[target >>> 2], 0);
});

test('tail calls go through the wasm program table: the JS helper runs only for a target\'s first call on a CPU', async (t) => {
  const obj = join(programsDir, 'tail_dispatch.o');
  if (!existsSync(obj)) {
    t.skip(`no ${obj}`);
    return;
  }
  const spec = parseObject(readFileSync(obj));
  const captured = frames('mixed.pcap');
  let jsTailCalls = 0;
  const counting: EngineFactory = async (runtime, opts) => {
    const helpers = (id: number): HelperImpl | undefined => {
      const impl = runtime.helpers(id);
      return id === 12 && impl !== undefined ? (c) => { jsTailCalls++; impl(c); } : impl;
    };
    return new JitEngine(new Proxy(runtime, { get: (r, k) => (k === 'helpers' ? helpers : Reflect.get(r, k)) }), opts);
  };
  const want = await runCapture(spec, captured, { program: 'tail_dispatch', cpus: 1, seed: 7, engine: 'interp' });
  const got = await runCapture(spec, captured, { program: 'tail_dispatch', cpus: 1, seed: 7, engine: counting });
  assert.deepEqual(got.frames, want.frames);
  assert.deepEqual(got.maps, want.maps);
  const taken = want.maps.filter((m) => m.map === 'handled').length;
  t.diagnostic(`${captured.length} frames, ${jsTailCalls} tail calls through JS`);
  assert.ok(taken > 0);
  assert.ok(jsTailCalls < captured.length / 4, `${jsTailCalls} of ${captured.length} frames tail-called through JS`);
});
