import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseElf } from '../../../src/ebpf/elf/elf-file.js';
import { parseBtf, type BtfSpec } from '../../../src/ebpf/btf/btf.js';
import type { BtfType } from '../../../src/ebpf/btf/btf-types.js';
import { ObjectFormatError } from '../../../src/ebpf/loader-errors.js';
import { FIXTURES, REPO_ROOT, allObjects, fixture, runTool } from '../loader/fixture-objects.js';

const btfOf = (bytes: Uint8Array): BtfSpec => parseBtf(parseElf(bytes).sectionByName('.BTF')!.data);

/** bpftool's JSON spelling of one of our records, field for field (bpftool btf dump -j). */
function asBpftool(t: BtfType): Record<string, unknown> {
  const base = { id: t.id, kind: t.kind.toUpperCase(), name: t.name || '(anon)' };
  const enc = (e: number): string => (e & 1 ? 'SIGNED' : e & 2 ? 'CHAR' : e & 4 ? 'BOOL' : '(none)');
  switch (t.kind) {
    case 'int': return { ...base, size: t.size, bits_offset: t.bitOffset, nr_bits: t.bits, encoding: enc(t.encoding) };
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
      return { ...base, type_id: t.type };
    case 'array': return { ...base, type_id: t.elemType, index_type_id: t.indexType, nr_elems: t.nelems };
    case 'struct': case 'union':
      return { ...base, size: t.size, vlen: t.members.length, members: t.members.map((m) => ({
        name: m.name || '(anon)', type_id: m.type, bits_offset: m.bitOffset, ...(m.bitfieldSize ? { bitfield_size: m.bitfieldSize } : {}),
      })) };
    case 'enum': case 'enum64':
      return { ...base, encoding: t.signed ? 'SIGNED' : 'UNSIGNED', size: t.size, vlen: t.values.length,
        values: t.values.map((v) => ({ name: v.name, val: Number(v.value) })) };
    case 'fwd': return { ...base, fwd_kind: t.union ? 'union' : 'struct' };
    case 'func': return { ...base, type_id: t.type, linkage: t.linkage };
    case 'func_proto':
      return { ...base, ret_type_id: t.returnType, vlen: t.params.length + (t.variadic ? 1 : 0),
        params: [...t.params.map((p) => ({ name: p.name || '(anon)', type_id: p.type })), ...(t.variadic ? [{ name: '(anon)', type_id: 0 }] : [])] };
    case 'var': return { ...base, type_id: t.type, linkage: t.linkage === 'global' ? 'global' : t.linkage === 'static' ? 'static' : 'extern' };
    case 'datasec': return { ...base, size: t.size, vlen: t.vars.length, vars: t.vars.map((v) => ({ type_id: v.type, offset: v.offset, size: v.size })) };
    case 'float': return { ...base, size: t.size };
    case 'decl_tag': return { ...base, type_id: t.type, component_idx: t.componentIndex };
  }
}

test('every type of every object matches bpftool btf dump', (t) => {
  if (runTool('bpftool', ['version']) === undefined) { t.skip('bpftool is not installed'); return; }
  let types = 0;
  const kinds = new Set<string>();
  for (const { name, bytes } of allObjects()) {
    const sec = (() => { try { return parseElf(bytes).sectionByName('.BTF'); } catch { return undefined; } })();
    if (!sec) continue;
    const path = name.startsWith('programs/') ? join(REPO_ROOT, name) : join(FIXTURES, name);
    const json = runTool('bpftool', ['-j', 'btf', 'dump', 'file', path]);
    if (json === undefined) continue; // bpftool refuses what libbpf refuses (bpfeb)
    const theirs = (JSON.parse(json) as { types: Record<string, unknown>[] }).types;
    const btf = parseBtf(sec.data);
    assert.equal(btf.count - 1, theirs.length, `${name}: type count`);
    theirs.forEach((want) => {
      const ours = btf.typeById(want.id as number) as BtfType;
      kinds.add(ours.kind);
      // bpftool prints the linkage and the raw record; we compare what both carry.
      const got = asBpftool(ours);
      const wanted = Object.fromEntries(Object.keys(got).map((k) => [k, want[k]]));
      assert.deepEqual(got, wanted, `${name}: type ${want.id as number}`);
      types++;
    });
  }
  // The fixtures were written to contain every BTF kind.
  assert.deepEqual([...kinds].sort(), ['array', 'const', 'datasec', 'decl_tag', 'enum', 'enum64', 'float', 'func',
    'func_proto', 'fwd', 'int', 'ptr', 'restrict', 'struct', 'type_tag', 'typedef', 'union', 'var', 'volatile']);
  t.diagnostic(`${types} types compared`);
});

test('sizeOf, resolve and name lookup', () => {
  const btf = btfOf(fixture('maps_btf.o'));
  const key = btf.byName('flow_key', 'struct')[0]!;
  assert.equal(btf.sizeOf(key.id), 16);
  const stats = btf.asStruct(btf.byName('flow_stats', 'struct')[0]!.id)!;
  assert.deepEqual(stats.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize]),
    [['packets', 0, 0], ['bytes', 64, 0], ['flags', 128, 3], ['kind', 131, 5]]);
  const pad = key.kind === 'struct' ? key.members.find((m) => m.name === 'pad')! : undefined;
  assert.equal(btf.sizeOf(pad!.type), 3);
  const u32 = btf.byName('__u32', 'typedef')[0]!;
  assert.equal(btf.resolve(u32.id).name, 'unsigned int');
  assert.equal(btf.sizeOf(u32.id), 4);

  const g = btfOf(fixture('globals.o'));
  const dropPort = g.byName('drop_port', 'var')[0]!;
  assert.equal(dropPort.kind, 'var');
  // const volatile __u32 → the integer underneath
  assert.equal(g.resolve(dropPort.kind === 'var' ? dropPort.type : 0).name, 'unsigned int');
  const proto = g.typeById((g.byName('add_one', 'func')[0] as { type: number }).type);
  assert.equal(proto.kind, 'func_proto');
  assert.deepEqual(proto.kind === 'func_proto' ? proto.params.map((p) => p.name) : [], ['i', 'data']);
  assert.throws(() => g.sizeOf(proto.id), ObjectFormatError);
  assert.equal(g.describe(g.byName('xdp_md', 'struct')[0]!.id), 'struct xdp_md');
  assert.equal(g.sizeOf(g.byName('xdp_md', 'struct')[0]!.id), 24);
});

test('a typedef loop is a format error, not a hang', () => {
  // Two typedefs pointing at each other: ids 1 → 2 → 1.
  const hdr = 24;
  const types = new Uint32Array([1, 8 << 24, 2, 1, 8 << 24, 1]);
  const strings = new TextEncoder().encode('\0a\0');
  const buf = new Uint8Array(hdr + types.byteLength + strings.length);
  const dv = new DataView(buf.buffer);
  dv.setUint16(0, 0xeb9f, true); dv.setUint8(2, 1); dv.setUint32(4, hdr, true);
  dv.setUint32(8, 0, true); dv.setUint32(12, types.byteLength, true);
  dv.setUint32(16, types.byteLength, true); dv.setUint32(20, strings.length, true);
  buf.set(new Uint8Array(types.buffer), hdr);
  buf.set(strings, hdr + types.byteLength);
  const btf = parseBtf(buf);
  assert.throws(() => btf.resolve(1), (e: unknown) => e instanceof ObjectFormatError && e.section === '.BTF');
  assert.throws(() => btf.sizeOf(2), ObjectFormatError);
});
