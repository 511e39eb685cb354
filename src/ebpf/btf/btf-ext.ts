/**
 * The `.BTF.ext` section (Documentation/bpf/btf.rst §4.2, libbpf's btf_ext__new):
 *
 * ```
 *  btf_ext_header: magic u16 = 0xeB9F | version u8 | flags u8 | hdr_len u32
 *                  | func_info_off u32 | func_info_len u32 | line_info_off u32 | line_info_len u32
 *                  [| core_relo_off u32 | core_relo_len u32]          (offsets count from the end of the header)
 *  each info block: rec_size u32, then per ELF section { sec_name_off u32 | num_info u32 | num_info records }
 *  bpf_func_info:   insn_off u32 | type_id u32
 *  bpf_line_info:   insn_off u32 | file_name_off u32 | line_off u32 | line_col u32 (line << 10 | column)
 *  bpf_core_relo:   insn_off u32 | type_id u32 | access_str_off u32 | kind u32
 * ```
 * In an object file `insn_off` is a byte offset inside the named section; names and source text live in the
 * `.BTF` string section.
 */
import { ByteReader } from '../elf/byte-reader.js';
import { ObjectFormatError } from '../loader-errors.js';
import type { BtfSpec } from './btf.js';

/** `at`: byte offset of the record inside .BTF.ext, for error messages. */
export interface ExtFuncInfo { readonly insnOff: number; readonly typeId: number; readonly at: number }
export interface ExtLineInfo {
  readonly insnOff: number; readonly file: string; readonly text: string; readonly line: number; readonly column: number;
  readonly at: number;
}
export interface ExtCoreRelo {
  readonly insnOff: number; readonly typeId: number; readonly accessor: string; readonly kind: number;
  /** Byte offset of the record inside .BTF.ext, for error messages. */
  readonly at: number;
}

export interface BtfExt {
  /** Keyed by ELF section name. */
  readonly funcInfo: ReadonlyMap<string, readonly ExtFuncInfo[]>;
  readonly lineInfo: ReadonlyMap<string, readonly ExtLineInfo[]>;
  readonly coreRelos: ReadonlyMap<string, readonly ExtCoreRelo[]>;
}

const SECTION = '.BTF.ext';

export function parseBtfExt(bytes: Uint8Array, btf: BtfSpec): BtfExt {
  const rd: ByteReader = new ByteReader(bytes, SECTION);
  if (rd.u16(0, 'btf_ext_header.magic') !== 0xeb9f) rd.fail('bad BTF.ext magic', 0);
  if (rd.u8(2) !== 1) rd.fail(`unsupported BTF.ext version ${rd.u8(2)}`, 2);
  const hdrLen = rd.u32(4, 'btf_ext_header.hdr_len');
  if (hdrLen < 24) rd.fail(`btf_ext_header.hdr_len ${hdrLen} is shorter than 24`, 4);
  rd.need(0, hdrLen, 'btf_ext_header');
  const block = (offField: number, what: string): { off: number; len: number } | undefined => {
    if (offField + 8 > hdrLen) return undefined;
    const len = rd.u32(offField + 4);
    if (len === 0) return undefined;
    const off = hdrLen + rd.u32(offField);
    rd.need(off, len, what);
    return { off, len };
  };
  const str = (off: number, at: number, what: string): string => {
    try {
      return btf.strings.get(off, what);
    } catch {
      throw new ObjectFormatError(`${what}: string offset ${off} is outside the .BTF string section`, { section: SECTION, byteOffset: at });
    }
  };

  const funcInfo = new Map<string, ExtFuncInfo[]>();
  const lineInfo = new Map<string, ExtLineInfo[]>();
  const coreRelos = new Map<string, ExtCoreRelo[]>();
  const f = block(8, 'func_info');
  if (f) readBlock(rd, f, 8, str, 'func_info', (p, sec) => {
    const typeId = rd.u32(p + 4);
    if (typeId >= btf.count) rd.fail(`func_info type id ${typeId} does not exist`, p + 4);
    push(funcInfo, sec, { insnOff: rd.u32(p), typeId, at: p });
  });
  const l = block(16, 'line_info');
  if (l) readBlock(rd, l, 16, str, 'line_info', (p, sec) => {
    const lineCol = rd.u32(p + 12);
    push(lineInfo, sec, {
      insnOff: rd.u32(p), file: str(rd.u32(p + 4), p + 4, 'line_info file name'),
      text: str(rd.u32(p + 8), p + 8, 'line_info source line'), line: lineCol >>> 10, column: lineCol & 0x3ff, at: p,
    });
  });
  const c = block(24, 'core_relo');
  if (c) readBlock(rd, c, 16, str, 'core_relo', (p, sec) => {
    const typeId = rd.u32(p + 4);
    if (typeId >= btf.count) rd.fail(`core_relo type id ${typeId} does not exist`, p + 4);
    push(coreRelos, sec, { insnOff: rd.u32(p), typeId, accessor: str(rd.u32(p + 8), p + 8, 'core_relo accessor'), kind: rd.u32(p + 12), at: p });
  });
  return Object.freeze({ funcInfo, lineInfo, coreRelos });
}

function push<T>(m: Map<string, T[]>, key: string, v: T): void {
  const list = m.get(key);
  if (list) list.push(Object.freeze(v)); else m.set(key, [Object.freeze(v)]);
}

function readBlock(
  rd: ByteReader, blk: { off: number; len: number }, minRec: number,
  str: (off: number, at: number, what: string) => string, what: string,
  each: (recordOffset: number, section: string) => void,
): void {
  const end = blk.off + blk.len;
  const recSize = rd.u32(blk.off, `${what} rec_size`);
  // Newer records may grow; libbpf accepts larger ones and reads the known prefix.
  if (recSize < minRec || recSize % 4 !== 0) rd.fail(`${what} record size ${recSize} is invalid (at least ${minRec})`, blk.off);
  let p = blk.off + 4;
  while (p < end) {
    if (p + 8 > end) rd.fail(`${what} section header runs past the block`, p);
    const sec = str(rd.u32(p), p, `${what} section name`);
    const num = rd.u32(p + 4);
    p += 8;
    if (num === 0) rd.fail(`${what} for section ${sec} has no records`, p - 4);
    if (num * recSize > end - p) rd.fail(`${what} for section ${sec}: ${num} records of ${recSize} bytes run past the block`, p - 4);
    for (let i = 0; i < num; i++, p += recSize) each(p, sec);
  }
}
