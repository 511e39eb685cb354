/**
 * ELF64 relocatable objects as clang emits them for `-target bpf` (System V gABI, "ELF-64 Object File
 * Format"; EM_BPF = 247). Only what a BPF loader needs: section headers, the symbol table and REL
 * relocations, all bounds-checked.
 *
 * ```
 *  file: | Elf64_Ehdr (64 B) | section bytes ... | Elf64_Shdr[e_shnum] (64 B each) at e_shoff |
 *  Elf64_Sym (24 B):  st_name u32 | st_info u8 | st_other u8 | st_shndx u16 | st_value u64 | st_size u64
 *  Elf64_Rel (16 B):  r_offset u64 | r_info u64 = (symbol index << 32) | type
 * ```
 */
import { ByteReader, StringTable } from './byte-reader.js';
import { ObjectFormatError, UnsupportedFeatureError } from '../loader-errors.js';

export const SectionType = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9 } as const;
export const SectionFlag = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4 } as const;
export const SymbolType = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
export const SymbolBind = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
/** Special st_shndx values: undefined (extern), absolute, common. */
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;

const EM_BPF = 247;
const ET_REL = 1;
const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;
/**
 * Largest .bss accepted. The kernel refuses an ARRAY value above KMALLOC_MAX_SIZE (a few MiB), so no
 * loadable object comes near this; the bound keeps a lying header from allocating gigabytes.
 */
export const MAX_NOBITS = 64 * 1024 * 1024;

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  /** File offset of the section's bytes (meaningless for NOBITS). */
  readonly fileOffset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly entsize: number;
  /** The section's bytes; empty for NOBITS (.bss), whose zeroed contents are `size` bytes long. */
  readonly data: Uint8Array;
}

export interface ElfSymbol {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly bind: number;
  readonly sectionIndex: number;
  readonly value: number;
  readonly size: number;
}

export interface ElfRelocation {
  /** Byte offset inside the section the relocations apply to. */
  readonly offset: number;
  readonly type: number;
  readonly symbol: ElfSymbol;
  /** File offset of this relocation entry, for error messages. */
  readonly fileOffset: number;
}

export interface ElfFile {
  readonly sections: readonly ElfSection[];
  readonly symbols: readonly ElfSymbol[];
  /** REL relocations that patch the section with this index (decoded on first request). */
  relocationsFor(sectionIndex: number): readonly ElfRelocation[];
  sectionByName(name: string): ElfSection | undefined;
  /** Symbols defined in one section, in symbol-table order. */
  symbolsIn(sectionIndex: number): readonly ElfSymbol[];
}

export function parseElf(bytes: Uint8Array): ElfFile {
  const file = new ByteReader(bytes, 'ELF header');
  file.need(0, 16, 'e_ident');
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ObjectFormatError('not an ELF file (bad magic)', { section: 'ELF header', byteOffset: 0 });
  }
  if (bytes[4] !== 2) throw new ObjectFormatError(`ELF class ${bytes[4]} is not ELFCLASS64`, { section: 'ELF header', byteOffset: 4 });
  if (bytes[5] === 2) throw new UnsupportedFeatureError('big-endian', 'big-endian (bpfeb) objects are not supported');
  if (bytes[5] !== 1) throw new ObjectFormatError(`ELF data encoding ${bytes[5]} is neither LSB nor MSB`, { section: 'ELF header', byteOffset: 5 });
  file.need(0, EHDR_SIZE, 'ELF header');
  if (file.u16(16) !== ET_REL) file.fail(`ELF type ${file.u16(16)} is not ET_REL (a relocatable object)`, 16);
  if (file.u16(18) !== EM_BPF) file.fail(`ELF machine ${file.u16(18)} is not EM_BPF (247)`, 18);
  const shoff = file.u64(40, 'e_shoff');
  const shentsize = file.u16(58);
  const shnum = file.u16(60);
  const shstrndx = file.u16(62);
  if (shentsize !== SHDR_SIZE) file.fail(`e_shentsize ${shentsize} is not ${SHDR_SIZE}`, 58);
  if (shnum === 0) file.fail('no section headers (e_shnum 0; extended numbering is not used by BPF objects)', 60);
  if (shstrndx >= shnum) file.fail(`e_shstrndx ${shstrndx} is not a section index (e_shnum ${shnum})`, 62);
  const whole = new ByteReader(bytes, 'section header table');
  if (shoff + shnum * SHDR_SIZE > bytes.length) {
    whole.fail(`${shnum} section headers at file offset ${shoff} run past the end of the file (${bytes.length} bytes)`, shoff);
  }
  const shTable = new ByteReader(bytes.subarray(shoff, shoff + shnum * SHDR_SIZE), 'section header table');

  interface RawSection { type: number; flags: number; offset: number; size: number; link: number; info: number; entsize: number; nameOff: number; }
  const raw: RawSection[] = [];
  for (let i = 0; i < shnum; i++) {
    const b = i * SHDR_SIZE;
    raw.push({
      nameOff: shTable.u32(b), type: shTable.u32(b + 4), flags: Number(shTable.i64(b + 8) & 0xffffffffn),
      offset: shTable.u64(b + 24, 'sh_offset'), size: shTable.u64(b + 32, 'sh_size'),
      link: shTable.u32(b + 40), info: shTable.u32(b + 44), entsize: shTable.u64(b + 56, 'sh_entsize'),
    });
  }
  const sectionBytes = (r: RawSection, label: string): Uint8Array => {
    if (r.type === SectionType.NOBITS || r.type === SectionType.NULL) {
      // No file bytes; the size alone says how much zeroed memory the section takes (see MAX_NOBITS).
      if (r.size > MAX_NOBITS) {
        throw new ObjectFormatError(`NOBITS size ${r.size} exceeds the ${MAX_NOBITS}-byte limit`, { section: label, byteOffset: r.offset });
      }
      return new Uint8Array(0);
    }
    if (r.offset + r.size > bytes.length) {
      throw new ObjectFormatError(`section data (${r.size} bytes at file offset ${r.offset}) runs past the end of the file (${bytes.length} bytes)`,
        { section: label, byteOffset: r.offset });
    }
    return bytes.subarray(r.offset, r.offset + r.size);
  };
  const shstr = raw[shstrndx]!;
  if (shstr.type !== SectionType.STRTAB) {
    throw new ObjectFormatError(`e_shstrndx ${shstrndx} names a section of type ${shstr.type}, not STRTAB`, { section: 'ELF header', byteOffset: 62 });
  }
  const names = new StringTable(sectionBytes(shstr, `#${shstrndx}`), 'section name table', shstr.offset);
  const sections: ElfSection[] = raw.map((r, index) => {
    const name = index === 0 ? '' : names.get(r.nameOff, `name of section #${index}`);
    return Object.freeze({
      index, name, type: r.type, flags: r.flags, fileOffset: r.offset, size: r.size, link: r.link, info: r.info,
      entsize: r.entsize, data: sectionBytes(r, name || `#${index}`),
    });
  });

  const symbols = parseSymbols(sections);
  // REL sections are decoded on first use: most of them patch DWARF, which a loader never reads.
  const relSections = new Map<number, ElfSection[]>();
  for (const s of sections) {
    if (s.type === SectionType.RELA) {
      const target = sections[s.info];
      if (target && (target.flags & SectionFlag.EXECINSTR || target.name === '.maps')) {
        throw new UnsupportedFeatureError('RELA relocations', `RELA relocation section ${s.name} is not supported (BPF objects use REL)`);
      }
      continue;
    }
    if (s.type !== SectionType.REL) continue;
    if (s.info === 0 || s.info >= sections.length) {
      throw new ObjectFormatError(`relocation section targets section index ${s.info}, which does not exist`,
        { section: s.name, byteOffset: s.fileOffset });
    }
    const list = relSections.get(s.info);
    if (list) list.push(s); else relSections.set(s.info, [s]);
  }
  const relocCache = new Map<number, readonly ElfRelocation[]>();
  const relocationsFor = (index: number): readonly ElfRelocation[] => {
    const hit = relocCache.get(index);
    if (hit) return hit;
    // concat, not push(...): a large relocation table would overflow the argument stack.
    let out: ElfRelocation[] = [];
    for (const s of relSections.get(index) ?? []) out = out.concat(parseRelocations(s, symbols));
    relocCache.set(index, out);
    return out;
  };

  const byName = new Map<string, ElfSection>();
  for (const s of sections) if (!byName.has(s.name)) byName.set(s.name, s);
  const bySection = new Map<number, ElfSymbol[]>();
  for (const sym of symbols) {
    const list = bySection.get(sym.sectionIndex);
    if (list) list.push(sym); else bySection.set(sym.sectionIndex, [sym]);
  }
  return Object.freeze({
    sections, symbols, relocationsFor,
    sectionByName: (name: string) => byName.get(name),
    symbolsIn: (index: number) => bySection.get(index) ?? [],
  });
}

function parseRelocations(s: ElfSection, symbols: readonly ElfSymbol[]): ElfRelocation[] {
  const rd: ByteReader = new ByteReader(s.data, s.name);
  if (s.size % REL_SIZE !== 0) rd.fail(`size ${s.size} is not a multiple of ${REL_SIZE}`, 0);
  const list: ElfRelocation[] = [];
  for (let p = 0; p < s.size; p += REL_SIZE) {
    const offset = rd.u64(p, 'r_offset');
    const symIndex = rd.u32(p + 12, 'r_info symbol');
    const symbol = symbols[symIndex];
    if (symbol === undefined || symIndex === 0) rd.fail(`relocation refers to symbol #${symIndex}, which does not exist`, p + 8);
    list.push(Object.freeze({ offset, type: rd.u32(p + 8, 'r_info type'), symbol, fileOffset: s.fileOffset + p }));
  }
  return list;
}

function parseSymbols(sections: readonly ElfSection[]): ElfSymbol[] {
  const symtabs = sections.filter((s) => s.type === SectionType.SYMTAB);
  if (symtabs.length === 0) return [];
  if (symtabs.length > 1) throw new ObjectFormatError('more than one symbol table', { section: symtabs[1]!.name, byteOffset: symtabs[1]!.fileOffset });
  const symtab = symtabs[0]!;
  const strSec = sections[symtab.link];
  if (strSec === undefined || strSec.type !== SectionType.STRTAB) {
    throw new ObjectFormatError(`sh_link ${symtab.link} is not a string table`, { section: symtab.name, byteOffset: symtab.fileOffset });
  }
  const strings = new StringTable(strSec.data, strSec.name, strSec.fileOffset);
  const rd: ByteReader = new ByteReader(symtab.data, symtab.name);
  if (symtab.size % SYM_SIZE !== 0) rd.fail(`size ${symtab.size} is not a multiple of ${SYM_SIZE}`, 0);
  const out: ElfSymbol[] = [];
  for (let p = 0, index = 0; p < symtab.size; p += SYM_SIZE, index++) {
    const info = rd.u8(p + 4);
    const sectionIndex = rd.u16(p + 6);
    if (sectionIndex !== SHN_UNDEF && sectionIndex < SHN_LORESERVE && sectionIndex >= sections.length) {
      rd.fail(`symbol #${index} is in section index ${sectionIndex}, which does not exist`, p + 6);
    }
    const type = info & 0xf;
    const nameOff = rd.u32(p);
    // Section symbols are unnamed in the string table; they stand for their section.
    let name: string;
    try {
      name = type === SymbolType.SECTION && nameOff === 0 ? (sections[sectionIndex]?.name ?? '') : strings.get(nameOff, 'symbol name');
    } catch (e) {
      // Report the symbol entry that holds the bad offset, not the string table.
      rd.fail(`symbol #${index}: ${e instanceof Error ? e.message.replace(/ \(section .*\)$/, '') : String(e)}`, p);
    }
    out.push(Object.freeze({
      index, name, type, bind: info >> 4, sectionIndex,
      value: rd.u64(p + 8, 'st_value'), size: rd.u64(p + 16, 'st_size'),
    }));
  }
  return out;
}
