import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseObject, withGlobalData, GlobalDataError, UnsupportedFeatureError } from '../../../src/ebpf/loader.js';
import { MapFlag, MapType, type ObjectSpec, type ProgramSpec } from '../../../src/ebpf/object-spec.js';
import { PseudoSrc, CallSrc } from '../../../src/ebpf/opcodes.js';
import { fixture } from './fixture-objects.js';

const OP_CALL = 0x85;
const OP_LD_IMM64 = 0x18;

const globals = (): ObjectSpec => parseObject(fixture('globals.o'));
const prog = (o: ObjectSpec, name: string): ProgramSpec => {
  const p = o.programs.find((x) => x.name === name);
  assert.ok(p, `program ${name}`);
  return p;
};

test('every global function of an XDP section is a program; non-XDP sections are skipped', () => {
  const o = globals();
  assert.deepEqual(o.programs.map((p) => [p.name, p.section, p.kind]), [
    ['prog_main', 'xdp', 'xdp'], ['prog_second', 'xdp', 'xdp'], ['prog_filter', 'xdp/filter', 'xdp'],
    ['prog_frags', 'xdp.frags', 'xdp.frags'], ['prog_devmap', 'xdp/devmap', 'xdp/devmap'],
    ['prog_cpumap', 'xdp/cpumap', 'xdp/cpumap'],
  ]);
  assert.equal(o.license, 'Dual BSD/GPL');
  assert.equal(o.kernelVersion, 0x060b00);
});

test('sub-programs are appended after the entry, each once, with calls resolved to their starts', () => {
  const p = prog(globals(), 'prog_main');
  assert.deepEqual(p.funcs.map((f) => [f.name, f.linkage]), [
    ['prog_main', 'global'], ['add_one', 'static'], ['helper_global', 'global'], ['helper_static', 'static'],
  ]);
  assert.equal(p.funcs[0]!.insn, 0);
  const starts = new Map(p.funcs.map((f) => [f.insn, f.name]));
  const targets: string[] = [];
  p.insns.forEach((insn, i) => {
    const isCall = insn.code === OP_CALL && insn.src === CallSrc.PSEUDO_CALL;
    const isFuncPtr = insn.code === OP_LD_IMM64 && insn.src === PseudoSrc.FUNC;
    if (!isCall && !isFuncPtr) return;
    const name = starts.get(i + insn.imm + 1);
    assert.ok(name, `insn ${i} targets slot ${i + insn.imm + 1}, not a function start`);
    targets.push(`${isCall ? 'call' : 'ptr'} ${name}`);
  });
  // bpf_loop(…, add_one, …) is the function pointer; helper_global calls helper_static.
  assert.deepEqual(targets, ['ptr add_one', 'call helper_global', 'call helper_static']);
  // The last function ends the program: the linked program is exactly the functions laid end to end.
  assert.equal(p.insns.at(-1)!.code, 0x95);
});

test('a static helper reached from several programs is linked into each', () => {
  const o = globals();
  for (const name of ['prog_second', 'prog_filter']) {
    const p = prog(o, name);
    assert.deepEqual(p.funcs.map((f) => f.name), [name, 'helper_static']);
  }
  assert.deepEqual(prog(o, 'prog_frags').funcs.map((f) => f.name), ['prog_frags']);
});

test('global data becomes single-entry ARRAY maps with LD_IMM64 src=2 and byte offsets', () => {
  const o = globals();
  const names = o.maps.map((m) => m.name);
  assert.deepEqual(names, ['.rodata', '.data', '.rodata.str', '.data.tagged', '.bss']);
  const rodata = o.maps[0]!;
  assert.equal(rodata.type, MapType.ARRAY);
  assert.equal(rodata.keySize, 4);
  assert.equal(rodata.maxEntries, 1);
  assert.equal(rodata.flags, MapFlag.RDONLY_PROG);
  assert.equal(o.maps[1]!.flags, 0);
  assert.deepEqual(rodata.globals.map((g) => [g.name, g.offset, g.size]),
    [['drop_port', 0, 4], ['verbose', 4, 1], ['prog_main.____fmt', 5, 3]]);
  assert.deepEqual([...rodata.initialData!.subarray(0, 4)], [53, 0, 0, 0]);
  const bss = o.maps[4]!;
  assert.equal(bss.valueSize, 40);
  assert.deepEqual([...bss.initialData!], new Array(40).fill(0));
  assert.deepEqual(bss.globals.map((g) => [g.name, g.offset]), [['seen', 0], ['scratch', 8]]);

  // Every map-value reference in prog_main, as (map name, offset).
  const p = prog(o, 'prog_main');
  const refs = p.insns.flatMap((insn, i) => insn.code === OP_LD_IMM64 && insn.src === PseudoSrc.MAP_VALUE
    ? [`${o.maps[insn.imm]!.name}+${p.insns[i + 1]!.imm}`] : []);
  // drop_port, tagged, scratch (symbol value 8; the store adds 16 itself), seen, verbose (value 4),
  // the printk format (section symbol: offset carried in imm), greeting; then helper_global's `hits`
  // and helper_static's drop_port.
  assert.deepEqual(refs, ['.rodata+0', '.data.tagged+0', '.bss+8', '.bss+0', '.rodata+4', '.rodata+5',
    '.rodata.str+0', '.data+0', '.rodata+0']);
});

test('libxdp run configs: priority and chain-call action bits per program', () => {
  const o = globals();
  assert.deepEqual([...o.runConfigs.entries()], [
    ['prog_main', { priority: 10, chainCallActions: (1 << 2) | (1 << 1) }],
    ['prog_second', { priority: 20, chainCallActions: 1 << 3 }],
  ]);
});

test('func and line info follow each function to its linked position', () => {
  const o = globals();
  const p = prog(o, 'prog_main');
  for (const f of p.funcs) {
    assert.equal(o.btf!.typeById(f.btfType!).name, f.name);
    const first = p.lines.find((l) => l.insn >= f.insn);
    assert.equal(first?.insn, f.insn, `${f.name} has a line at its first insn`);
  }
  for (let i = 1; i < p.lines.length; i++) assert.ok(p.lines[i - 1]!.insn <= p.lines[i]!.insn);
  // clang records the file as the compile-time path and marks compiler-made code with line 0.
  assert.ok(p.lines.every((l) => l.file === './globals.c' && l.line >= 0 && l.insn < p.insns.length));
  assert.equal(p.lines[0]!.text, 'int prog_main(struct xdp_md *ctx)');
  const addOne = p.funcs.find((f) => f.name === 'add_one')!;
  const line = p.lines.find((l) => l.insn === addOne.insn)!;
  assert.equal(line.text, '\tc->sum += i;');
  assert.equal(line.line, 24);
});

test('BTF-defined maps: types, sizes from key/value types, flags, pinning, inner maps, initialisers', () => {
  const o = parseObject(fixture('maps_btf.o'));
  const m = new Map(o.maps.map((x) => [x.name, x]));
  const flows = m.get('flows')!;
  assert.deepEqual([flows.type, flows.keySize, flows.valueSize, flows.maxEntries, flows.flags],
    [MapType.HASH, 16, 24, 1024, MapFlag.NO_PREALLOC]);
  assert.equal(o.btf!.describe(flows.btfKeyType!), 'struct flow_key');
  assert.equal(o.btf!.describe(flows.btfValueType!), 'struct flow_stats');
  assert.deepEqual([m.get('counters')!.keySize, m.get('counters')!.valueSize], [4, 8]);
  assert.equal(m.get('pinned_lru')!.pinning, 'by_name');
  const outer = m.get('outer')!;
  assert.equal(outer.type, MapType.ARRAY_OF_MAPS);
  assert.equal(outer.valueSize, 4);
  assert.deepEqual([outer.innerMap!.type, outer.innerMap!.keySize, outer.innerMap!.valueSize, outer.innerMap!.maxEntries],
    [MapType.ARRAY, 4, 4, 1]);
  assert.deepEqual(outer.initSlots, [{ index: 0, ref: 'inner_a' }, { index: 2, ref: 'inner_b' }]);
  const outerHash = m.get('outer_hash')!;
  assert.deepEqual([outerHash.innerMap!.type, outerHash.innerMap!.valueSize, outerHash.innerMap!.maxEntries], [MapType.HASH, 8, 16]);
  const jumps = m.get('jumps')!;
  assert.equal(jumps.type, MapType.PROG_ARRAY);
  assert.deepEqual(jumps.initSlots, [{ index: 1, ref: 'tail_a' }, { index: 3, ref: 'tail_b' }]);
  assert.equal(m.get('ports')!.valueSize, 8);

  const p = prog(o, 'use_maps');
  const mapRefs = p.insns.flatMap((insn) => insn.code === OP_LD_IMM64 && insn.src === PseudoSrc.MAP_FD ? [o.maps[insn.imm]!.name] : []);
  assert.deepEqual(mapRefs, ['flows', 'counters', 'pinned_lru', 'outer', 'jumps', 'ports']);
});

test('legacy struct bpf_map_def maps', () => {
  const o = parseObject(fixture('legacy_maps.o'));
  assert.deepEqual(o.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.origin.kind]), [
    ['rxcnt', MapType.PERCPU_ARRAY, 4, 8, 256, 0, 'legacy'],
    ['blocked', MapType.HASH, 4, 1, 64, MapFlag.NO_PREALLOC, 'legacy'],
  ]);
  const p = prog(o, 'legacy');
  assert.deepEqual(p.insns.flatMap((i) => i.code === OP_LD_IMM64 && i.src === PseudoSrc.MAP_FD ? [i.imm] : []), [0, 1]);
});

test('big-endian objects and kfunc calls are refused by name', () => {
  assert.throws(() => parseObject(fixture('globals_bpfeb.o')),
    (e: unknown) => e instanceof UnsupportedFeatureError && /big-endian \(bpfeb\) objects are not supported/.test(e.message));
  assert.throws(() => parseObject(fixture('kfunc.o')),
    (e: unknown) => e instanceof UnsupportedFeatureError && e.feature === 'kfunc bpf_xdp_metadata_rx_timestamp');
});

test('withGlobalData replaces one global-data map and leaves the original spec alone', () => {
  const o = globals();
  const data = Uint8Array.from([7, 0, 0, 0, 1, 0x25, 0x73, 0]);
  const o2 = withGlobalData(o, '.rodata', data);
  assert.deepEqual([...o2.maps[0]!.initialData!], [...data]);
  assert.deepEqual([...o.maps[0]!.initialData!.subarray(0, 4)], [53, 0, 0, 0]);
  data[0] = 99; // the spec keeps its own copy
  assert.equal(o2.maps[0]!.initialData![0], 7);
  assert.equal(o2.maps[1], o.maps[1]);
  assert.equal(o2.programs, o.programs);
  assert.throws(() => withGlobalData(o, '.rodata', new Uint8Array(4)), GlobalDataError);
  assert.throws(() => withGlobalData(o, '.nope', new Uint8Array(8)), /no global-data map \.nope/);
  assert.throws(() => withGlobalData(parseObject(fixture('maps_btf.o')), 'flows', new Uint8Array(24)), GlobalDataError);
});

test('an object without BTF still yields its maps and code, with no line info', () => {
  const o = parseObject(fixture('legacy_maps_nobtf.o'));
  const withBtf = parseObject(fixture('legacy_maps.o'));
  assert.equal(o.btf, undefined);
  assert.deepEqual(o.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags]),
    withBtf.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags]));
  assert.deepEqual(o.programs[0]!.insns, withBtf.programs[0]!.insns);
  assert.deepEqual(o.programs[0]!.lines, []);
  assert.deepEqual(o.programs[0]!.funcs, [{ insn: 0, name: 'legacy', linkage: 'global' }]);
});

test('parsed specs are frozen', () => {
  const o = globals();
  assert.ok(Object.isFrozen(o) && Object.isFrozen(o.programs) && Object.isFrozen(o.maps));
  assert.ok(Object.isFrozen(o.programs[0]!.insns[0]) && Object.isFrozen(o.maps[0]!.globals));
});

test('code of non-XDP sections is never examined; static functions in XDP sections are refused', () => {
  const o = parseObject(fixture('skip_non_xdp.o'));
  assert.deepEqual(o.programs.map((p) => p.name), ['only_xdp']);
  assert.throws(() => parseObject(fixture('static_prog.o')),
    (e: unknown) => e instanceof UnsupportedFeatureError && e.feature === 'static program' && /hidden in section xdp is static/.test(e.message));
});
