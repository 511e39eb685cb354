/**
 * The `--maps FILE` / `--set 'MAP KEY VALUE'` format (design.md §5): one entry per line, `#` starts a comment,
 * `MAP KEYHEX VALUEHEX` with raw bytes in memory order (u32 5 is `05000000`), full key and value sizes.
 * The value may be split into space-separated hex groups (one per struct field). A value may instead be `@NAME` (a program for PROG_ARRAY, a map for map-in-map). Global data is named by
 * its section (`.rodata`, `.data`, `.bss`, `.rodata.NAME`) with key `00000000`; `.rodata` lines are applied to
 * the ObjectSpec before verification, all others to the loaded maps before the first frame.
 */
import { GlobalDataError, withGlobalData } from '../ebpf/loader.js';
import type { ObjectSpec } from '../ebpf/object-spec.js';
import { errnoName } from './maps/errno.js';
import { UpdateFlag } from './maps/map-header.js';
import type { Runtime } from './runtime/runtime.js';

export type MapsValue =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'ref'; readonly name: string };

export interface MapsLine {
  /** File name (or "--set") and 1-based line number, for messages. */
  readonly source: string;
  readonly line: number;
  readonly map: string;
  readonly key: Uint8Array;
  readonly value: MapsValue;
}

export class MapsFileError extends Error {
  constructor(readonly source: string, readonly line: number, message: string) {
    super(`${source}:${line}: ${message}`);
    this.name = 'MapsFileError';
  }
}

function parseHex(text: string, what: string, source: string, line: number): Uint8Array {
  if (text.length === 0 || text.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(text)) {
    throw new MapsFileError(source, line, `${what} '${text}' is not an even number of hex digits`);
  }
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

/** One line; undefined for a blank or comment-only line. */
export function parseMapsLine(text: string, source: string, line: number): MapsLine | undefined {
  const hash = text.indexOf('#');
  const fields = (hash >= 0 ? text.slice(0, hash) : text).trim().split(/\s+/).filter((f) => f !== '');
  if (fields.length === 0) return undefined;
  if (fields.length < 3) throw new MapsFileError(source, line, `expected 'MAP KEYHEX VALUEHEX', got ${fields.length} field(s)`);
  const [map, keyText, ...valueFields] = fields as [string, string, ...string[]];
  // A value may be written as several hex groups, one per struct field (`e803000000000000 04000000...`).
  const valueText = valueFields.join('');
  if (valueFields.length > 1 && valueText.includes('@')) throw new MapsFileError(source, line, '@NAME values are one field');
  const key = parseHex(keyText, 'key', source, line);
  if (valueText.startsWith('@')) {
    if (valueText.length === 1) throw new MapsFileError(source, line, "'@' needs a program or map name");
    return Object.freeze({ source, line, map, key, value: Object.freeze({ kind: 'ref' as const, name: valueText.slice(1) }) });
  }
  return Object.freeze({ source, line, map, key, value: Object.freeze({ kind: 'bytes' as const, bytes: parseHex(valueText, 'value', source, line) }) });
}

export function parseMapsText(text: string, source: string): MapsLine[] {
  const out: MapsLine[] = [];
  text.split(/\r?\n/).forEach((l, i) => {
    const parsed = parseMapsLine(l, source, i + 1);
    if (parsed) out.push(parsed);
  });
  return out;
}

const isRodata = (spec: ObjectSpec, name: string): boolean =>
  spec.maps.some((m) => m.name === name && m.origin.kind === 'global' && m.origin.section.startsWith('.rodata'));

/** `.rodata` lines, applied to the spec (libbpf skeleton: read-only config set before load). */
export function applyRodataLines(spec: ObjectSpec, lines: readonly MapsLine[]): ObjectSpec {
  let out = spec;
  for (const l of lines) {
    if (!isRodata(spec, l.map)) continue;
    if (l.key.length !== 4 || l.key.some((b) => b !== 0)) throw new MapsFileError(l.source, l.line, `global data ${l.map} takes key 00000000`);
    if (l.value.kind !== 'bytes') throw new MapsFileError(l.source, l.line, `${l.map} takes bytes, not @${l.value.name}`);
    try {
      out = withGlobalData(out, l.map, l.value.bytes);
    } catch (e) {
      if (e instanceof GlobalDataError) throw new MapsFileError(l.source, l.line, e.message);
      throw e;
    }
  }
  return out;
}

/** Every other line, written into the loaded maps (BPF_ANY) before the first frame. */
export function applyMapLines(runtime: Runtime, spec: ObjectSpec, lines: readonly MapsLine[]): void {
  for (const l of lines) {
    if (isRodata(spec, l.map)) continue;
    const map = runtime.maps.get(l.map);
    if (!map) {
      throw new MapsFileError(l.source, l.line, `no map '${l.map}' in the object (it has: ${[...runtime.maps.keys()].join(', ') || 'none'})`);
    }
    const { keySize, valueSize } = map.params;
    if (l.key.length !== keySize) throw new MapsFileError(l.source, l.line, `map '${l.map}' key is ${keySize} bytes; the line gives ${l.key.length}`);
    let bytes: Uint8Array;
    if (l.value.kind === 'ref') {
      const v = runtime.slotValueFor(map, l.value.name);
      if (typeof v === 'string') throw new MapsFileError(l.source, l.line, `${l.map}: ${v}`);
      bytes = v;
    } else {
      bytes = l.value.bytes;
    }
    if (bytes.length !== valueSize) {
      throw new MapsFileError(l.source, l.line, `map '${l.map}' value is ${valueSize} bytes; the line gives ${bytes.length}`);
    }
    const err = map.write(l.key, [bytes], UpdateFlag.ANY);
    if (err !== 0) throw new MapsFileError(l.source, l.line, `updating ${l.map}: ${errnoName(err)}`);
  }
}
