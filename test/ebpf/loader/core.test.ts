/**
 * CO-RE relocations resolved against the object's own BTF. Since clang emits the local value into each
 * instruction and libbpf validates it, a correct resolution leaves validated instructions as they were;
 * bitfield relocations (not validated by libbpf) are checked against values worked out by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseObject } from '../../../src/ebpf/loader.js';
import { parseElf } from '../../../src/ebpf/elf/elf-file.js';
import { decodeInsns } from '../../../src/ebpf/insn.js';
import { CoreReloKind, coreKindName } from '../../../src/ebpf/core-relocs.js';
import { fixture } from './fixture-objects.js';

test('CO-RE relocations on local types get the values of the local layout', () => {
  const bytes = fixture('core_local.o');
  const o = parseObject(bytes);
  const p = o.programs[0]!;
  const original = decodeInsns(parseElf(bytes).sectionByName('xdp')!.data);
  const valueAt = (i: number): number => {
    const insn = p.insns[i]!;
    if (insn.code === 0x18) return insn.imm + p.insns[i + 1]!.imm * 2 ** 32;
    return (insn.code & 0x07) === 0x07 || (insn.code & 0x07) === 0x04 ? insn.imm : insn.off;
  };
  const seen = p.coreRelocs.map((r) => `${coreKindName(r.kind)} ${o.btf!.describe(r.typeId)} ${r.accessor} = ${valueAt(r.insn)}`);
  assert.deepEqual(seen, [
    'field_byte_offset struct pkt_meta 0:1 = 4', // m->vlan
    'field_byte_offset struct pkt_meta 0:3:1:2 = 11', // m->inner.b[2]
    'field_byte_offset struct pkt_meta 0:4 = 16', // m->stamp
    'field_exists struct pkt_meta 0:2 = 1',
    'field_byte_size struct pkt_meta 0:4 = 8',
    'field_byte_offset struct pkt_meta 0:3 = 8',
    'field_byte_offset struct bits 0:1 = 0',
    `type_id_local struct pkt_meta 0 = ${o.btf!.byName('pkt_meta', 'struct')[0]!.id}`,
    'type_exists struct pkt_meta 0 = 1',
    'enumval_exists enum meta_kind 1 = 1',
    'enumval_value enum meta_kind 2 = 9',
    'type_size struct pkt_meta 0 = 24',
    // `mid` (s32:9 at bit 3): the smallest aligned unit of its type's size covering it is 4 bytes at 0.
    'field_byte_size struct bits 0:1 = 4',
    'enumval_value enum big_kind 1 = 4294967296', // 64-bit value through LD_IMM64
    'field_lshift_u64 struct bits 0:1 = 52',
    'field_signed struct bits 0:1 = 1',
    'field_rshift_u64 struct bits 0:1 = 55',
    'field_rshift_u64 struct bits 0:1 = 55',
    'field_byte_offset struct bits 0:2 = 0',
    // `hi` (u64:40 at bit 12): one 8-byte unit.
    'field_byte_size struct bits 0:2 = 8',
    'field_lshift_u64 struct bits 0:2 = 12',
    'field_signed struct bits 0:2 = 0',
    'field_rshift_u64 struct bits 0:2 = 24',
    'field_rshift_u64 struct bits 0:2 = 24',
    'field_byte_offset struct pkt_meta 0:0 = 0',
  ]);
  // Validated (non-bitfield) relocations leave clang's instruction exactly as it was.
  const bitsId = o.btf!.byName('bits', 'struct')[0]!.id;
  for (const r of p.coreRelocs) {
    if (r.typeId === bitsId && r.kind !== CoreReloKind.FIELD_SIGNED) continue;
    assert.deepEqual({ ...p.insns[r.insn] }, { ...original[r.insn] }, `insn ${r.insn}`);
  }
});
