/** Test objects built in memory: assembled programs plus map specs, as the loader would describe them. */
import { assemble } from '../../../src/ebpf/asm.js';
import type { Insn } from '../../../src/ebpf/insn.js';
import { MapType, type MapSpec, type ObjectSpec, type ProgramSpec } from '../../../src/ebpf/object-spec.js';

export function mapSpec(name: string, type: number, keySize: number, valueSize: number, maxEntries: number, extra: Partial<MapSpec> = {}): MapSpec {
  return { name, type, keySize, valueSize, maxEntries, flags: 0, pinning: 'none', origin: { kind: 'btf' }, initSlots: [], globals: [], ...extra };
}

export function globalData(section: string, data: Uint8Array): MapSpec {
  return mapSpec(section, MapType.ARRAY, 4, data.length, 1, { origin: { kind: 'global', section }, initialData: data });
}

/**
 * Assemble `text`; `lddw %rN, map:NAME` / `lddw %rN, mapvalue:NAME+OFF` lines become LD_IMM64 src=1 / src=2
 * references to the map's index in `maps`.
 */
export function program(name: string, text: string, maps: readonly MapSpec[] = []): ProgramSpec {
  const refs: { slot: number; src: number; index: number; off: number }[] = [];
  const lines = text.split('\n').map((l) => {
    const m = /^\s*lddw\s+(%r\d+),\s*(map|mapvalue):([\w.]+)(?:\+(\d+))?\s*$/.exec(l);
    if (!m) return l;
    const index = maps.findIndex((x) => x.name === m[3]);
    if (index < 0) throw new Error(`no map ${m[3]}`);
    refs.push({ slot: -1, src: m[2] === 'map' ? 1 : 2, index, off: Number(m[4] ?? 0) });
    return `lddw ${m[1]}, 0x${(0x7e57_0000 + refs.length - 1).toString(16)}`;
  });
  const insns: Insn[] = assemble(lines.join('\n')).map((i) => ({ ...i }));
  insns.forEach((insn, slot) => {
    if (insn.code === 0x18 && (insn.imm >>> 16) === 0x7e57) {
      const r = refs[insn.imm & 0xffff]!;
      insns[slot] = { ...insn, src: r.src, imm: r.index };
      insns[slot + 1] = { ...insns[slot + 1]!, imm: r.src === 2 ? r.off : 0 };
    }
  });
  return { name, section: 'xdp', kind: 'xdp', insns, funcs: [{ insn: 0, name, linkage: 'global' }], lines: [], coreRelocs: [] };
}

export function objectSpec(programs: readonly ProgramSpec[], maps: readonly MapSpec[] = []): ObjectSpec {
  return { license: 'GPL', programs, maps, runConfigs: new Map() };
}

/** An Ethernet frame of `len` bytes: bytes i = i & 0xff after a fixed header. */
export function frame(len: number, fill = (i: number): number => i & 0xff): Uint8Array {
  return Uint8Array.from({ length: len }, (_, i) => fill(i));
}
