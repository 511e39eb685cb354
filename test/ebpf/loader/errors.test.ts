/** Malformed and unsupported inputs: the typed error, and a message that names the section and byte offset. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseObject, ObjectFormatError, UnsupportedFeatureError } from '../../../src/ebpf/loader.js';
import { parseElf } from '../../../src/ebpf/elf/elf-file.js';
import { fixture } from './fixture-objects.js';

function formatError(bytes: Uint8Array, section: string, byteOffset: number | undefined, message: RegExp): void {
  assert.throws(() => parseObject(bytes), (e: unknown) => {
    assert.ok(e instanceof ObjectFormatError, `expected ObjectFormatError, got ${String(e)}`);
    assert.equal(e.section, section, e.message);
    if (byteOffset !== undefined) assert.equal(e.byteOffset, byteOffset, e.message);
    assert.match(e.message, message);
    assert.ok(e.message.includes(`section ${section}`) && e.message.includes(`byte offset ${e.byteOffset}`), e.message);
    return true;
  });
}

const u32 = (b: Uint8Array, at: number, v: number): void => new DataView(b.buffer, b.byteOffset).setUint32(at, v, true);
const u16 = (b: Uint8Array, at: number, v: number): void => new DataView(b.buffer, b.byteOffset).setUint16(at, v, true);
const get32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);

test('truncated files', () => {
  const g = fixture('globals.o');
  formatError(g.slice(0, 3), 'ELF header', 0, /e_ident/);
  formatError(g.slice(0, 40), 'ELF header', 0, /ELF header: 64 bytes/);
  const shoff = Number(new DataView(g.buffer).getBigUint64(40, true));
  formatError(g.slice(0, shoff + 100), 'section header table', shoff, /section headers at file offset/);
  formatError(new Uint8Array(0), 'ELF header', 0, /e_ident/);
});

test('section data past the end of the file names the section', () => {
  const g = fixture('globals.o');
  const elf = parseElf(g);
  const shoff = Number(new DataView(g.buffer).getBigUint64(40, true));
  const xdp = elf.sectionByName('xdp')!;
  u32(g, shoff + xdp.index * 64 + 32, 0x7fffff00); // sh_size
  formatError(g, 'xdp', xdp.fileOffset, /runs past the end of the file/);
});

test('bad section index and bad string offset', () => {
  const a = fixture('globals.o');
  u16(a, 62, 999);
  formatError(a, 'ELF header', 62, /e_shstrndx 999 is not a section index/);

  const b = fixture('globals.o');
  const elf = parseElf(b);
  const symtab = elf.sections.find((s) => s.name === '.symtab')!;
  const sym = elf.symbols.find((s) => s.name === 'prog_main')!;
  u32(b, symtab.fileOffset + sym.index * 24, 0xfffff0); // st_name
  formatError(b, '.symtab', sym.index * 24, /symbol #\d+: .*string offset 16777200 is outside the string table/);

  const c = fixture('globals.o');
  const symC = elf.symbols.find((s) => s.name === 'hits')!;
  u16(c, symtab.fileOffset + symC.index * 24 + 6, 0x300); // st_shndx
  formatError(c, '.symtab', symC.index * 24 + 6, /section index 768, which does not exist/);
});

test('relocation outside its section names the section and offset', () => {
  const g = fixture('globals.o');
  const elf = parseElf(g);
  const rel = elf.relocationsFor(elf.sectionByName('xdp')!.index)[0]!;
  new DataView(g.buffer).setBigUint64(rel.fileOffset, 0x100000n, true);
  formatError(g, 'xdp', 0x100000, /relocation at offset 1048576 is not on an instruction inside the section/);
});

test('relocation naming a symbol that does not exist', () => {
  const g = fixture('globals.o');
  const elf = parseElf(g);
  const relSec = elf.sections.find((s) => s.name === '.relxdp')!;
  u32(g, relSec.fileOffset + 12, 0xffff); // high half of r_info: symbol index
  formatError(g, '.relxdp', 8, /symbol #65535, which does not exist/);
});

test('corrupt BTF and BTF.ext', () => {
  const elf = parseElf(fixture('core_local.o'));
  const btf = elf.sectionByName('.BTF')!;
  const ext = elf.sectionByName('.BTF.ext')!;

  const magic = fixture('core_local.o');
  u16(magic, btf.fileOffset, 0x1234);
  formatError(magic, '.BTF', 0, /bad BTF magic/);

  // Type 1 is a PTR; point it at a type id that does not exist.
  const dangling = fixture('core_local.o');
  u32(dangling, btf.fileOffset + 24 + 8, 99999);
  formatError(dangling, '.BTF', 32, /type id 1 refers to type id 99999/);

  const kind = fixture('core_local.o');
  u32(kind, btf.fileOffset + 24 + 4, 31 << 24);
  formatError(kind, '.BTF', 28, /unknown BTF kind 31/);

  // line_info: the first record's file name offset.
  const bad = fixture('core_local.o');
  const hdrLen = get32(bad, ext.fileOffset + 4);
  const lineOff = get32(bad, ext.fileOffset + 16);
  const rec = hdrLen + lineOff + 4 + 8;
  u32(bad, ext.fileOffset + rec + 4, 0xfffffff);
  formatError(bad, '.BTF.ext', rec + 4, /line_info file name: string offset 268435455 is outside the \.BTF string section/);

  const count = fixture('core_local.o');
  u32(count, ext.fileOffset + hdrLen + lineOff + 8, 0x7fffffff);
  formatError(count, '.BTF.ext', hdrLen + lineOff + 8, /2147483647 records of 16 bytes run past the block/);
});

test('unsupported relocation types and unresolvable CO-RE relocations are named', () => {
  const g = fixture('globals.o');
  const elf = parseElf(g);
  const rel = elf.relocationsFor(elf.sectionByName('xdp')!.index)[0]!;
  u32(g, rel.fileOffset + 8, 3); // R_BPF_64_ABS32 on an instruction
  assert.throws(() => parseObject(g), (e: unknown) => e instanceof UnsupportedFeatureError && e.feature === 'relocation type 3'
    && /relocation type 3 against drop_port/.test(e.message));

  // Point the first CO-RE relocation at the forward-declared `struct opaque`.
  const c = fixture('core_local.o');
  const spec = parseObject(fixture('core_local.o'));
  const opaque = spec.btf!.byName('opaque', 'fwd')[0]!.id;
  const ext = parseElf(c).sectionByName('.BTF.ext')!;
  const hdrLen = get32(c, ext.fileOffset + 4);
  const coreOff = get32(c, ext.fileOffset + 24);
  u32(c, ext.fileOffset + hdrLen + coreOff + 4 + 8 + 4, opaque);
  assert.throws(() => parseObject(c), (e: unknown) => e instanceof UnsupportedFeatureError
    && e.feature === 'CO-RE relocation against struct opaque'
    && /field_byte_offset relocation on struct opaque \(accessor "0:1"\) cannot be resolved/.test(e.message));
});
