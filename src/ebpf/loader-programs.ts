/**
 * Programs: one per global FUNC symbol in an XDP section, linked the way libbpf links them before
 * BPF_PROG_LOAD (libbpf.c bpf_object__relocate → bpf_object__reloc_code):
 *
 *  1. each instruction's relocation is applied to a copy of its function: LD_IMM64 against a map
 *     → src=1 imm=map index; against global data → src=2 imm=map index, next.imm = insn.imm + st_value;
 *     against a `.text` function → src=4 (BPF_PSEUDO_FUNC, a bpf_loop callback);
 *     CO-RE relocations from .BTF.ext are applied to the same copy;
 *  2. the entry function comes first; scanning it, every bpf-to-bpf call / function pointer whose target
 *     `.text` function is not yet placed appends that function and scans it at once (depth first), then
 *     the instruction's imm becomes `target slot - (this slot) - 1`;
 *  3. .BTF.ext func_info / line_info records of each placed function are shifted to its new position.
 *
 * Where the callee is found (libbpf's comment in reloc_code): with a relocation, a call's target slot is
 * `st_value/8 + imm + 1` and a function pointer's is `(st_value + imm)/8`, both in `.text`; without one,
 * a call is pc-relative inside its own section.
 */
import { ObjectFormatError, UnsupportedFeatureError } from './loader-errors.js';
import { decodeInsns, OP_LD_IMM64, type Insn } from './insn.js';
import { CallSrc, PseudoSrc } from './opcodes.js';
import type { CoreRelocSpec, FuncSpec, LineInfo, ProgramKind, ProgramSpec } from './object-spec.js';
import { SectionFlag, SectionType, SHN_UNDEF, SymbolBind, SymbolType, type ElfFile, type ElfRelocation, type ElfSection, type ElfSymbol } from './elf/elf-file.js';
import type { BtfSpec } from './btf/btf.js';
import type { BtfExt, ExtCoreRelo } from './btf/btf-ext.js';
import type { ParsedMaps } from './loader-maps.js';
import { patchCoreInsn, resolveCoreRelo } from './core-relocs.js';

const R_BPF_64_64 = 1;
const R_BPF_64_32 = 10;
const OP_CALL = 0x85;
const TEXT = '.text';

/** libbpf's SEC() names for XDP (section_defs[]), plus the `xdp/<anything>` spelling xdpjit accepts. */
export function programKindOf(section: string): ProgramKind | undefined {
  const base = section.replace(/^xdp\.frags(?=\/|$)/, 'xdp');
  if (base === 'xdp/devmap' || base.startsWith('xdp/devmap/')) return 'xdp/devmap';
  if (base === 'xdp/cpumap' || base.startsWith('xdp/cpumap/')) return 'xdp/cpumap';
  if (section === 'xdp.frags' || section.startsWith('xdp.frags/')) return 'xdp.frags';
  if (section === 'xdp' || section.startsWith('xdp/')) return 'xdp';
  return undefined;
}

interface Func {
  readonly section: ElfSection;
  readonly symbol: ElfSymbol;
  /** First slot and slot count inside the section. */
  readonly start: number;
  readonly count: number;
}

interface MutInsn { code: number; dst: number; src: number; off: number; imm: number }

interface Sources {
  readonly elf: ElfFile;
  readonly btf: BtfSpec | undefined;
  readonly ext: BtfExt | undefined;
  readonly maps: ParsedMaps;
}

export function parsePrograms(src: Sources): ProgramSpec[] {
  const { elf } = src;
  const sectionInsns = new Map<number, readonly Insn[]>();
  const insnsOf = (s: ElfSection): readonly Insn[] => {
    let v = sectionInsns.get(s.index);
    if (!v) {
      if (s.size % 8 !== 0) throw new ObjectFormatError(`code size ${s.size} is not a multiple of 8`, { section: s.name, byteOffset: s.fileOffset });
      v = decodeInsns(s.data);
      sectionInsns.set(s.index, v);
    }
    return v;
  };
  const funcsIn = (s: ElfSection): Func[] => {
    const out: Func[] = [];
    for (const sym of elf.symbolsIn(s.index)) {
      if (sym.type !== SymbolType.FUNC) continue;
      if (sym.value % 8 !== 0 || sym.size % 8 !== 0 || sym.size === 0 || sym.value + sym.size > s.size) {
        throw new ObjectFormatError(`function ${sym.name} (${sym.size} bytes at ${sym.value}) is not whole instructions inside the section`,
          { section: s.name, byteOffset: sym.value });
      }
      out.push({ section: s, symbol: sym, start: sym.value / 8, count: sym.size / 8 });
    }
    return out.sort((a, b) => a.start - b.start);
  };
  const isCode = (s: ElfSection): boolean => s.type === SectionType.PROGBITS && (s.flags & SectionFlag.EXECINSTR) !== 0;

  const text = elf.sections.find((s) => s.name === TEXT && isCode(s));
  const textFuncs = text ? funcsIn(text) : [];
  const linker = new Linker(src, insnsOf, text, textFuncs);

  const programs: ProgramSpec[] = [];
  for (const s of elf.sections) {
    if (!isCode(s)) continue;
    const kind = programKindOf(s.name);
    if (kind === undefined) continue;
    for (const f of funcsIn(s)) {
      if (f.symbol.bind === SymbolBind.LOCAL) {
        throw new UnsupportedFeatureError('static program', `program ${f.symbol.name} in section ${s.name} is static; libbpf only loads global functions as programs`);
      }
      programs.push(linker.link(f, kind));
    }
  }
  return programs;
}

class Linker {
  private readonly relocsBySection = new Map<number, Map<number, ElfRelocation>>();
  /** `.text` functions by first slot. */
  private readonly textFuncAt: ReadonlyMap<number, Func>;

  constructor(
    private readonly src: Sources,
    private readonly insnsOf: (s: ElfSection) => readonly Insn[],
    private readonly text: ElfSection | undefined,
    textFuncs: readonly Func[],
  ) {
    this.textFuncAt = new Map(textFuncs.map((f) => [f.start, f]));
  }

  link(entry: Func, kind: ProgramKind): ProgramSpec {
    const out: MutInsn[] = [];
    const placed = new Map<Func, number>();
    const funcs: FuncSpec[] = [];
    const lines: LineInfo[] = [];
    const core: CoreRelocSpec[] = [];
    const place = (f: Func): number => {
      const base = out.length;
      placed.set(f, base);
      this.copy(f, out, core);
      this.debugInfo(f, base, funcs, lines);
      return base;
    };
    // Depth-first, with an explicit stack: a function is scanned up to its first call to an unplaced
    // function, which is appended and scanned completely before the caller resumes (libbpf's recursion).
    const stack: { f: Func; base: number; i: number }[] = [{ f: entry, base: place(entry), i: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.i >= top.f.count) { stack.pop(); continue; }
      const slot = top.base + top.i;
      const insn = out[slot]!;
      const isCall = insn.code === OP_CALL && insn.src === CallSrc.PSEUDO_CALL;
      const isFuncPtr = insn.code === OP_LD_IMM64 && insn.src === PseudoSrc.FUNC;
      if (!isCall && !isFuncPtr) { top.i++; continue; }
      const callee = this.calleeOf(top.f, top.i, insn, isCall);
      let at = placed.get(callee);
      if (at === undefined) {
        at = place(callee);
        stack.push({ f: callee, base: at, i: 0 });
        continue; // come back to this instruction once the callee is placed and scanned
      }
      insn.imm = at - slot - 1;
      top.i++;
    }
    funcs.sort((a, b) => a.insn - b.insn);
    lines.sort((a, b) => a.insn - b.insn);
    return Object.freeze({
      name: entry.symbol.name, section: entry.section.name, kind,
      insns: Object.freeze(out.map((i) => Object.freeze({ ...i }))),
      funcs: Object.freeze(funcs), lines: Object.freeze(lines), coreRelocs: Object.freeze(core),
    });
  }

  /** The `.text` function a call / function pointer at slot `i` of `f` targets. */
  private calleeOf(f: Func, i: number, insn: MutInsn, isCall: boolean): Func {
    const secSlot = f.start + i;
    const rel = this.relocsOf(f.section).get(secSlot);
    const fail: (why: string) => never = (why) => {
      throw new ObjectFormatError(`${f.symbol.name} insn ${i}: ${why}`, { section: f.section.name, byteOffset: secSlot * 8 });
    };
    let target: number;
    if (rel) {
      if (rel.symbol.sectionIndex !== this.text?.index) fail(`${isCall ? 'call' : 'function pointer'} to ${rel.symbol.name}, which is not in .text`);
      const byteTarget = isCall ? rel.symbol.value + (insn.imm + 1) * 8 : rel.symbol.value + insn.imm;
      if (byteTarget % 8 !== 0) fail(`function pointer to byte ${byteTarget}, which is not an instruction boundary`);
      target = byteTarget / 8;
    } else if (isCall && f.section === this.text) {
      target = secSlot + insn.imm + 1;
    } else {
      fail(isCall ? 'call without a relocation leaves its section' : 'function pointer without a relocation');
    }
    const callee = this.textFuncAt.get(target);
    if (!callee) fail(`${isCall ? 'call' : 'function pointer'} targets .text slot ${target}, which is not the start of a function`);
    return callee!;
  }

  private relocsOf(s: ElfSection): Map<number, ElfRelocation> {
    let m = this.relocsBySection.get(s.index);
    if (m) return m;
    m = new Map();
    for (const rel of this.src.elf.relocationsFor(s.index)) {
      if (rel.offset % 8 !== 0 || rel.offset >= s.size) {
        throw new ObjectFormatError(`relocation at offset ${rel.offset} is not on an instruction inside the section (${s.size} bytes)`,
          { section: s.name, byteOffset: rel.offset });
      }
      m.set(rel.offset / 8, rel);
    }
    this.relocsBySection.set(s.index, m);
    return m;
  }

  /** Copy a function's slots, applying its ELF relocations (maps, data, function pointers) and CO-RE relocations. */
  private copy(f: Func, out: MutInsn[], core: CoreRelocSpec[]): void {
    const base = out.length;
    const all = this.insnsOf(f.section);
    for (let i = 0; i < f.count; i++) out.push({ ...all[f.start + i]! });
    const relocs = this.relocsOf(f.section);
    for (let i = 0; i < f.count; i++) {
      const rel = relocs.get(f.start + i);
      if (rel) {
        this.applyElfReloc(f, i, out, base, rel);
        continue;
      }
      // Map references are the loader's to write, from relocations (libbpf does the same): a map pseudo
      // source already in the object's bytes names no map of this object.
      const insn = out[base + i]!;
      if (insn.code === OP_LD_IMM64 && (insn.src === PseudoSrc.MAP_FD || insn.src === PseudoSrc.MAP_VALUE)) {
        throw new ObjectFormatError(`${f.symbol.name} insn ${i}: LD_IMM64 with map pseudo source ${insn.src} but no relocation`,
          { section: f.section.name, byteOffset: (f.start + i) * 8 });
      }
    }
    const { btf, ext } = this.src;
    const coreRelos: readonly ExtCoreRelo[] = ext?.coreRelos.get(f.section.name) ?? [];
    for (const r of coreRelos) {
      if (r.insnOff % 8 !== 0) throw new ObjectFormatError(`CO-RE relocation insn_off ${r.insnOff} is not a multiple of 8`, { section: '.BTF.ext', byteOffset: r.at });
      const i = r.insnOff / 8 - f.start;
      if (i < 0 || i >= f.count) continue;
      const value = resolveCoreRelo(btf!, r);
      patchCoreInsn(out, base + i, value, r, btf!);
      core.push(Object.freeze({ insn: base + i, kind: r.kind, typeId: r.typeId, accessor: r.accessor }));
    }
    for (let i = 0; i < f.count; i++) {
      const insn = out[base + i]!;
      if (insn.code === OP_CALL && insn.src === CallSrc.KFUNC) {
        throw new UnsupportedFeatureError(`kfunc call (BTF id ${insn.imm})`, `${f.symbol.name} insn ${i}: kfunc calls are not supported (BTF id ${insn.imm})`);
      }
    }
  }

  private applyElfReloc(f: Func, i: number, out: MutInsn[], base: number, rel: ElfRelocation): void {
    const insn = out[base + i]!;
    const sym = rel.symbol;
    const where = { section: f.section.name, byteOffset: rel.offset };
    const label = `${f.symbol.name} insn ${i}`;
    if (sym.sectionIndex === SHN_UNDEF) {
      if (insn.code === OP_CALL) throw new UnsupportedFeatureError(`kfunc ${sym.name}`, `${label}: call to kfunc ${sym.name} is not supported (kfuncs are kernel functions)`);
      throw new UnsupportedFeatureError(`extern ${sym.name}`, `${label}: extern symbol ${sym.name} (__ksym / __kconfig) is not supported`);
    }
    if (rel.type === R_BPF_64_32) {
      if (insn.code !== OP_CALL || insn.src !== CallSrc.PSEUDO_CALL) throw new ObjectFormatError(`${label}: R_BPF_64_32 relocation on an instruction that is not a bpf-to-bpf call`, where);
      return; // resolved when linking
    }
    if (rel.type !== R_BPF_64_64) {
      throw new UnsupportedFeatureError(`relocation type ${rel.type}`, `${label}: relocation type ${rel.type} against ${sym.name} is not supported`);
    }
    if (insn.code !== OP_LD_IMM64) throw new ObjectFormatError(`${label}: R_BPF_64_64 relocation on an instruction that is not LD_IMM64`, where);
    const next = out[base + i + 1];
    if (i + 1 >= f.count || !next) throw new ObjectFormatError(`${label}: LD_IMM64 lacks its second slot`, where);
    const symSection = this.src.elf.sections[sym.sectionIndex];
    if (symSection && symSection === this.text) {
      insn.src = PseudoSrc.FUNC; // imm is fixed up when linking
      return;
    }
    const target = this.src.maps.targetOf(sym);
    if (!target) {
      throw new UnsupportedFeatureError(`relocation to section ${symSection?.name ?? sym.sectionIndex}`,
        `${label}: reference to ${sym.name} in section ${symSection?.name ?? sym.sectionIndex}, which holds neither maps nor global data`);
    }
    if (target.kind === 'map') {
      insn.src = PseudoSrc.MAP_FD;
      insn.imm = target.index;
      next.imm = 0;
    } else {
      insn.src = PseudoSrc.MAP_VALUE;
      next.imm = (insn.imm + target.baseOffset) | 0;
      insn.imm = target.index;
    }
  }

  private debugInfo(f: Func, base: number, funcs: FuncSpec[], lines: LineInfo[]): void {
    const { ext, btf } = this.src;
    const sec = f.section.name;
    const inRange = (off: number, what: string, at: number): number | undefined => {
      if (off % 8 !== 0) throw new ObjectFormatError(`${what} insn_off ${off} is not a multiple of 8`, { section: '.BTF.ext', byteOffset: at });
      const i = off / 8 - f.start;
      return i >= 0 && i < f.count ? base + i : undefined;
    };
    let btfType: number | undefined;
    for (const fi of ext?.funcInfo.get(sec) ?? []) {
      if (inRange(fi.insnOff, 'func_info', fi.at) === base) btfType = fi.typeId;
    }
    if (btfType === undefined && btf) btfType = btf.byName(f.symbol.name, 'func')[0]?.id;
    funcs.push(Object.freeze({
      insn: base, name: f.symbol.name, linkage: f.symbol.bind === SymbolBind.LOCAL ? 'static' as const : 'global' as const,
      ...(btfType !== undefined ? { btfType } : {}),
    }));
    for (const li of ext?.lineInfo.get(sec) ?? []) {
      const at = inRange(li.insnOff, 'line_info', li.at);
      if (at !== undefined) lines.push(Object.freeze({ insn: at, file: li.file, line: li.line, column: li.column, text: li.text }));
    }
  }
}
