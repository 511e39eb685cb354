/**
 * Map definitions, in libbpf's order (bpf_object__init_maps): legacy `maps` section first, then BTF-defined
 * maps in `.maps` (DATASEC variable order), then one single-entry ARRAY per global-data section.
 *
 * BTF-defined maps encode every attribute in the *type* of a member (bpf_helpers.h):
 *   __uint(name, N)   → `int (*name)[N]`       PTR → ARRAY with nelems N
 *   __type(name, T)   → `typeof(T) *name`      PTR → T
 *   __array(name, T)  → `typeof(T) *name[]`    ARRAY[0] of PTR → T (T a map struct, or a func proto for PROG_ARRAY)
 * and `.values = { [i] = &x }` initialisers appear as R_BPF_64_ABS64 relocations inside `.maps`.
 */
import { ObjectFormatError, UnsupportedFeatureError } from './loader-errors.js';
import { ByteReader } from './elf/byte-reader.js';
import { MapFlag, MapType, type GlobalVarSpec, type MapInitSlot, type MapSpec } from './object-spec.js';
import { SectionFlag, SectionType, SymbolType, type ElfFile, type ElfSection, type ElfSymbol } from './elf/elf-file.js';
import type { BtfSpec } from './btf/btf.js';
import type { BtfDatasec, BtfMember } from './btf/btf-types.js';
import { isRunConfigSection } from './loader-run-config.js';

export const MAPS_SECTION = '.maps';
export const LEGACY_MAPS_SECTION = 'maps';
const R_BPF_64_64 = 1;
const R_BPF_64_ABS64 = 2;

/** Where a symbol referenced by an LD_IMM64 lives, once maps are known. */
export type MapTarget =
  | { readonly kind: 'map'; readonly index: number }
  | { readonly kind: 'value'; readonly index: number; readonly baseOffset: number };

export interface ParsedMaps {
  readonly maps: readonly MapSpec[];
  /** Resolve an LD_IMM64 relocation's symbol to a map (or global-data map value); undefined if not a map section. */
  targetOf(symbol: ElfSymbol): MapTarget | undefined;
}

export function isGlobalDataSection(s: ElfSection): boolean {
  if (!(s.flags & SectionFlag.ALLOC) || s.flags & SectionFlag.EXECINSTR) return false;
  if (s.type !== SectionType.PROGBITS && s.type !== SectionType.NOBITS) return false;
  if (isRunConfigSection(s.name)) return false;
  return ['.rodata', '.data', '.bss'].some((p) => s.name === p || s.name.startsWith(`${p}.`));
}

export function parseMaps(elf: ElfFile, btf: BtfSpec | undefined): ParsedMaps {
  const maps: MapSpec[] = [];
  /** section index → (offset of the definition in the section → map index) */
  const bySectionOffset = new Map<number, Map<number, number>>();
  const globalBySection = new Map<number, number>();
  const note = (sec: number, off: number, idx: number): void => {
    let m = bySectionOffset.get(sec);
    if (!m) bySectionOffset.set(sec, (m = new Map()));
    m.set(off, idx);
  };

  const legacy = elf.sectionByName(LEGACY_MAPS_SECTION);
  if (legacy) for (const { offset, spec } of parseLegacyMaps(elf, legacy)) { note(legacy.index, offset, maps.length); maps.push(spec); }

  const mapsSec = elf.sectionByName(MAPS_SECTION);
  if (mapsSec) {
    if (!btf) throw new ObjectFormatError('BTF-defined maps need a .BTF section', { section: MAPS_SECTION, byteOffset: 0 });
    for (const { offset, spec } of parseBtfMaps(elf, btf, mapsSec)) { note(mapsSec.index, offset, maps.length); maps.push(spec); }
  }

  for (const s of elf.sections) {
    if (!isGlobalDataSection(s) || s.size === 0) continue;
    globalBySection.set(s.index, maps.length);
    maps.push(globalDataMap(elf, btf, s));
  }

  return {
    maps: Object.freeze(maps),
    targetOf(symbol: ElfSymbol): MapTarget | undefined {
      const g = globalBySection.get(symbol.sectionIndex);
      if (g !== undefined) return { kind: 'value', index: g, baseOffset: symbol.value };
      const bySec = bySectionOffset.get(symbol.sectionIndex);
      if (!bySec) return undefined;
      const index = bySec.get(symbol.value);
      if (index === undefined) {
        throw new ObjectFormatError(`symbol ${symbol.name} at offset ${symbol.value} is not the start of a map definition`,
          { section: elf.sections[symbol.sectionIndex]!.name, byteOffset: symbol.value });
      }
      return { kind: 'map', index };
    },
  };
}

/** `struct bpf_map_def { type, key_size, value_size, max_entries, map_flags }`, one per symbol (libbpf's legacy path). */
function parseLegacyMaps(elf: ElfFile, sec: ElfSection): { offset: number; spec: MapSpec }[] {
  const syms = elf.symbolsIn(sec.index).filter((s) => s.type !== SymbolType.SECTION && s.name !== '');
  if (syms.length === 0) return [];
  if (sec.type !== SectionType.PROGBITS) throw new ObjectFormatError(`legacy map definitions are in a section of type ${sec.type}, not PROGBITS`, { section: sec.name, byteOffset: 0 });
  const defSize = Math.floor(sec.size / syms.length);
  if (defSize < 16 || sec.size % syms.length !== 0) {
    throw new ObjectFormatError(`${sec.size} bytes do not divide into ${syms.length} struct bpf_map_def`, { section: sec.name, byteOffset: 0 });
  }
  const rd = new ByteReader(sec.data, sec.name);
  return syms.map((sym) => {
    if (sym.value % 4 !== 0 || sym.value + defSize > sec.size) {
      throw new ObjectFormatError(`map ${sym.name} at ${sym.value} does not lie inside the section`, { section: sec.name, byteOffset: sym.value });
    }
    const field = (i: number): number => (i * 4 + 4 <= defSize ? rd.u32(sym.value + i * 4, 'struct bpf_map_def') : 0);
    return {
      offset: sym.value,
      spec: Object.freeze({
        name: sym.name, type: field(0), keySize: field(1), valueSize: field(2), maxEntries: field(3), flags: field(4),
        pinning: 'none' as const, origin: Object.freeze({ kind: 'legacy' as const }), initSlots: Object.freeze([]), globals: Object.freeze([]),
      }),
    };
  });
}

interface BtfMapDef {
  type?: number; keySize?: number; valueSize?: number; maxEntries?: number; flags?: number; pinning?: number; mapExtra?: number;
  keyType?: number; valueType?: number; inner?: MapSpec; valuesMember?: BtfMember; valuesKind?: 'maps' | 'progs';
}

function parseBtfMaps(elf: ElfFile, btf: BtfSpec, sec: ElfSection): { offset: number; spec: MapSpec }[] {
  const datasec = btf.byName(MAPS_SECTION, 'datasec')[0] as BtfDatasec | undefined;
  if (!datasec) throw new ObjectFormatError('no BTF DATASEC describes the .maps section', { section: MAPS_SECTION, byteOffset: 0 });
  const out: { offset: number; spec: MapSpec; def: BtfMapDef; size: number }[] = [];
  for (const vi of datasec.vars) {
    const v = btf.typeById(vi.type);
    if (v.kind !== 'var') throw btf.error(`.maps DATASEC entry type id ${vi.type} is a ${v.kind}, not a VAR`, datasec.id);
    const sym = symbolIn(elf, sec, v.name);
    const def = parseBtfMapDef(btf, v.name, v.type, false);
    const spec = btfMapSpec(v.name, def, []);
    out.push({ offset: sym.value, spec, def, size: vi.size || sym.size });
  }
  // `.values = { [i] = &x }`: each relocation inside a map's `values` array names the i-th initial entry.
  const slots = new Map<number, MapInitSlot[]>();
  for (const rel of elf.relocationsFor(sec.index)) {
    const at = (why: string): never => { throw new ObjectFormatError(why, { section: MAPS_SECTION, byteOffset: rel.offset }); };
    if (rel.type !== R_BPF_64_ABS64 && rel.type !== R_BPF_64_64) {
      throw new UnsupportedFeatureError(`relocation type ${rel.type}`, `relocation type ${rel.type} in .maps is not supported`);
    }
    const owner = out.findIndex((m) => rel.offset >= m.offset && rel.offset < m.offset + m.size);
    if (owner < 0) at(`relocation against ${rel.symbol.name} is outside every map definition`);
    const m = out[owner]!;
    if (!m.def.valuesMember) at(`map ${m.spec.name} has a relocation but no 'values' initialiser`);
    const base = m.offset + m.def.valuesMember!.bitOffset / 8;
    const index = (rel.offset - base) / 8;
    // Like libbpf (bpf_object__collect_map_relos) the slot is not checked against max_entries here: for a
    // HASH_OF_MAPS it is a key, and an ARRAY slot past the end fails when the map is filled (E2BIG).
    if (!Number.isInteger(index) || index < 0) at(`map ${m.spec.name}: initialiser at byte ${rel.offset} is not a pointer slot of 'values'`);
    const target = rel.symbol;
    const targetSec = elf.sections[target.sectionIndex];
    if (m.def.valuesKind === 'progs') {
      if (target.type !== SymbolType.FUNC || !targetSec || !(targetSec.flags & SectionFlag.EXECINSTR)) {
        at(`PROG_ARRAY ${m.spec.name} slot ${index} refers to ${target.name}, which is not a program`);
      }
    } else if (target.sectionIndex !== sec.index) {
      at(`map-in-map ${m.spec.name} slot ${index} refers to ${target.name}, which is not a map`);
    } else if (!out.some((o) => o.offset === target.value)) {
      at(`map-in-map ${m.spec.name} slot ${index} refers to ${target.name}, which is not the start of a map`);
    }
    const list = slots.get(owner) ?? [];
    list.push(Object.freeze({ index, ref: target.name }));
    slots.set(owner, list);
  }
  return out.map((m, i) => ({
    offset: m.offset,
    spec: btfMapSpec(m.spec.name, m.def, (slots.get(i) ?? []).sort((a, b) => a.index - b.index)),
  }));
}

const symbolIndex = new WeakMap<ElfSection, Map<string, ElfSymbol>>();

/** The symbol a BTF VAR of this section stands for (libbpf's btf_fixup_datasec looks it up by name). */
function symbolIn(elf: ElfFile, sec: ElfSection, name: string): ElfSymbol {
  let byName = symbolIndex.get(sec);
  if (!byName) {
    byName = new Map();
    for (const s of elf.symbolsIn(sec.index)) if (s.type !== SymbolType.SECTION && !byName.has(s.name)) byName.set(s.name, s);
    symbolIndex.set(sec, byName);
  }
  const sym = byName.get(name);
  if (!sym) throw new ObjectFormatError(`no ELF symbol for BTF variable ${name}`, { section: sec.name, byteOffset: 0 });
  return sym;
}

function btfMapSpec(name: string, d: BtfMapDef, initSlots: MapInitSlot[]): MapSpec {
  const spec: MapSpec = {
    name, type: d.type ?? MapType.UNSPEC, keySize: d.keySize ?? 0, valueSize: d.valueSize ?? 0,
    maxEntries: d.maxEntries ?? 0, flags: d.flags ?? 0, pinning: d.pinning === 1 ? 'by_name' : 'none',
    origin: Object.freeze({ kind: 'btf' as const }), initSlots: Object.freeze(initSlots), globals: Object.freeze([]),
    ...(d.keyType !== undefined ? { btfKeyType: d.keyType } : {}),
    ...(d.valueType !== undefined ? { btfValueType: d.valueType } : {}),
    ...(d.inner ? { innerMap: d.inner } : {}),
    ...(d.mapExtra ? { mapExtra: d.mapExtra } : {}),
  };
  return Object.freeze(spec);
}

/** libbpf's parse_btf_map_def: one struct whose members' types carry the attributes. */
function parseBtfMapDef(btf: BtfSpec, name: string, typeId: number, isInner: boolean): BtfMapDef {
  const def = btf.resolve(typeId);
  if (def.kind !== 'struct') throw btf.error(`map ${name}: definition is a ${def.kind}, not a struct`, typeId);
  const d: BtfMapDef = {};
  const uintOf = (m: BtfMember): number => {
    const p = btf.resolve(m.type);
    if (p.kind !== 'ptr') throw btf.error(`map ${name}: attribute ${m.name} is a ${p.kind}, expected PTR to ARRAY (__uint)`, def.id);
    const a = btf.resolve(p.type);
    if (a.kind !== 'array') throw btf.error(`map ${name}: attribute ${m.name} points to a ${a.kind}, expected ARRAY (__uint)`, def.id);
    return a.nelems;
  };
  const typeOf = (m: BtfMember): number => {
    const p = btf.resolve(m.type);
    if (p.kind !== 'ptr') throw btf.error(`map ${name}: attribute ${m.name} is a ${p.kind}, expected PTR (__type)`, def.id);
    return p.type;
  };
  const agree = (what: string, a: number | undefined, b: number): number => {
    if (a !== undefined && a !== b) throw btf.error(`map ${name}: conflicting ${what} ${a} and ${b}`, def.id);
    return b;
  };
  for (const m of def.members) {
    switch (m.name) {
      case 'type': d.type = uintOf(m); break;
      case 'max_entries': d.maxEntries = uintOf(m); break;
      case 'map_flags': d.flags = uintOf(m); break;
      case 'numa_node': uintOf(m); break;
      case 'map_extra': d.mapExtra = uintOf(m); break;
      case 'key_size': d.keySize = agree('key size', d.keySize, uintOf(m)); break;
      case 'value_size': d.valueSize = agree('value size', d.valueSize, uintOf(m)); break;
      case 'key': d.keyType = typeOf(m); d.keySize = agree('key size', d.keySize, btf.sizeOf(d.keyType)); break;
      case 'value': d.valueType = typeOf(m); d.valueSize = agree('value size', d.valueSize, btf.sizeOf(d.valueType)); break;
      case 'pinning': {
        d.pinning = uintOf(m);
        if (d.pinning > 1) throw new UnsupportedFeatureError(`pinning ${d.pinning}`, `map ${name}: pinning type ${d.pinning} is not supported (only LIBBPF_PIN_NONE and LIBBPF_PIN_BY_NAME)`);
        break;
      }
      case 'values': {
        if (isInner) throw new UnsupportedFeatureError('multi-level map-in-map', `map ${name}: an inner map cannot itself hold maps`);
        const arr = btf.resolve(m.type);
        if (arr.kind !== 'array') throw btf.error(`map ${name}: 'values' is a ${arr.kind}, expected an array (__array)`, def.id);
        const p = btf.resolve(arr.elemType);
        if (p.kind !== 'ptr') throw btf.error(`map ${name}: 'values' elements are ${p.kind}, expected pointers`, def.id);
        const target = btf.resolve(p.type);
        d.valuesMember = m;
        if (target.kind === 'func_proto') {
          d.valuesKind = 'progs';
        } else if (target.kind === 'struct') {
          d.valuesKind = 'maps';
          d.inner = Object.freeze(btfMapSpec(`${name}.inner`, parseBtfMapDef(btf, `${name}.inner`, p.type, true), []));
        } else {
          throw btf.error(`map ${name}: 'values' elements point to a ${target.kind}, expected a map struct or a function`, def.id);
        }
        // The value of a PROG_ARRAY or map-in-map slot is a 4-byte fd/id.
        d.valueSize = agree('value size', d.valueSize, 4);
        break;
      }
      default:
        throw new UnsupportedFeatureError(`map attribute ${m.name}`, `map ${name}: unknown attribute '${m.name}'`);
    }
  }
  if (d.valuesKind === 'maps' && d.type !== MapType.ARRAY_OF_MAPS && d.type !== MapType.HASH_OF_MAPS) {
    throw btf.error(`map ${name}: inner map 'values' given for a map that is not ARRAY_OF_MAPS/HASH_OF_MAPS`, def.id);
  }
  if (d.valuesKind === 'progs' && d.type !== MapType.PROG_ARRAY) {
    throw btf.error(`map ${name}: program 'values' given for a map that is not PROG_ARRAY`, def.id);
  }
  return d;
}

/** libbpf's bpf_object__init_internal_map: ARRAY, key 4, value = section size, one entry. */
function globalDataMap(elf: ElfFile, btf: BtfSpec | undefined, s: ElfSection): MapSpec {
  const readOnly = s.name === '.rodata' || s.name.startsWith('.rodata.');
  const datasec = btf?.byName(s.name, 'datasec')[0] as BtfDatasec | undefined;
  const globals: GlobalVarSpec[] = [];
  if (btf && datasec) {
    for (const vi of datasec.vars) {
      const v = btf.typeById(vi.type);
      if (v.kind !== 'var') throw btf.error(`${s.name} DATASEC entry type id ${vi.type} is a ${v.kind}, not a VAR`, datasec.id);
      // Clang leaves DATASEC offsets 0; libbpf (btf_fixup_datasec) takes them from the ELF symbols.
      const sym = symbolIn(elf, s, v.name);
      const size = vi.size || sym.size;
      if (sym.value + size > s.size) {
        throw new ObjectFormatError(`variable ${v.name} (${size} bytes at ${sym.value}) lies outside the section`, { section: s.name, byteOffset: sym.value });
      }
      globals.push(Object.freeze({ name: v.name, offset: sym.value, size, btfType: v.type }));
    }
  }
  globals.sort((a, b) => a.offset - b.offset);
  const initialData = s.type === SectionType.NOBITS ? new Uint8Array(s.size) : s.data.slice();
  const spec: MapSpec = {
    name: s.name, type: MapType.ARRAY, keySize: 4, valueSize: s.size, maxEntries: 1,
    flags: readOnly ? MapFlag.RDONLY_PROG : 0, pinning: 'none',
    origin: Object.freeze({ kind: 'global' as const, section: s.name }), initSlots: Object.freeze([]),
    initialData, globals: Object.freeze(globals),
    ...(datasec ? { btfValueType: datasec.id } : {}),
  };
  return Object.freeze(spec);
}
