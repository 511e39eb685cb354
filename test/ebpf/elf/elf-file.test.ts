import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseElf, SectionType } from '../../../src/ebpf/elf/elf-file.js';
import { decodeInsns } from '../../../src/ebpf/insn.js';
import { FIXTURES, fixture, runTool } from '../loader/fixture-objects.js';

test('sections, symbols and relocations agree with llvm-readelf', (t) => {
  const out = runTool('llvm-readelf-16', ['-S', '-s', '-r', '--wide', join(FIXTURES, 'globals.o')]);
  if (out === undefined) { t.skip('llvm-readelf-16 is not installed'); return; }
  const elf = parseElf(fixture('globals.o'));
  // "  [ 4] xdp   PROGBITS   0000000000000000 000130 0001e0 00  AX  0   0  8"
  const rows = [...out.matchAll(/^\s*\[\s*(\d+)\]\s+(\S+)\s+(\S+)\s+[0-9a-f]{16}\s+([0-9a-f]+)\s+([0-9a-f]+)/gm)];
  assert.equal(rows.length, elf.sections.length - 1);
  for (const [, idx, name, , off, size] of rows) {
    const s = elf.sections[Number(idx)]!;
    assert.deepEqual([s.name, s.fileOffset, s.size], [name, parseInt(off!, 16), parseInt(size!, 16)]);
  }
  // "    30: 0000000000000000     8 OBJECT  GLOBAL DEFAULT    14 hits"
  const syms = [...out.matchAll(/^\s+(\d+): ([0-9a-f]{16})\s+(\d+) (\w+)\s+(\w+)\s+\w+\s+\S+ ?(\S*)$/gm)];
  assert.equal(syms.length, elf.symbols.length);
  for (const [, idx, value, size, , , name] of syms) {
    const s = elf.symbols[Number(idx)]!;
    assert.equal(s.value, parseInt(value!, 16));
    assert.equal(s.size, Number(size));
    if (name && s.type !== 3) assert.equal(s.name, name);
  }
  const xdpRelocs = elf.relocationsFor(elf.sectionByName('xdp')!.index);
  const block = out.split("Relocation section '.relxdp'")[1]!.split('\n\n')[0]!;
  const listed = [...block.matchAll(/^([0-9a-f]{16})\s+[0-9a-f]{16}\s+(R_BPF_\w+)\s+[0-9a-f]{16}\s+(\S+)/gm)];
  assert.ok(listed.length > 5);
  assert.deepEqual(xdpRelocs.map((r) => [r.offset, r.type === 1 ? 'R_BPF_64_64' : 'R_BPF_64_32', r.symbol.name]),
    listed.map(([, off, type, name]) => [parseInt(off!, 16), type, name]));
});

test('program section bytes decode to the instructions llvm-objdump shows', (t) => {
  const out = runTool('llvm-objdump-16', ['-d', '--no-show-raw-insn=false', join(FIXTURES, 'maps_btf.o')])
    ?? runTool('llvm-objdump-16', ['-d', join(FIXTURES, 'maps_btf.o')]);
  if (out === undefined) { t.skip('llvm-objdump-16 is not installed'); return; }
  const elf = parseElf(fixture('maps_btf.o'));
  const insns = decodeInsns(elf.sectionByName('xdp')!.data);
  const section = out.split('Disassembly of section xdp:')[1]!;
  // "      12:	18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00	r1 = 0x0 ll"
  const lines = [...section.matchAll(/^\s+(\d+):\t((?:[0-9a-f]{2} ){7}[0-9a-f]{2}(?: (?:[0-9a-f]{2} ){7}[0-9a-f]{2})?)\t/gm)];
  assert.ok(lines.length > 10);
  for (const [, idx, hex] of lines) {
    const bytes = hex!.split(' ').map((h) => parseInt(h, 16));
    const i = Number(idx);
    const insn = insns[i]!;
    assert.equal(insn.code, bytes[0], `slot ${i}`);
    assert.equal(insn.dst | (insn.src << 4), bytes[1], `slot ${i}`);
    assert.equal(insn.imm, new DataView(Uint8Array.from(bytes).buffer).getInt32(4, true), `slot ${i}`);
  }
  assert.equal(elf.sections.filter((s) => s.type === SectionType.REL).length > 0, true);
});
