/**
 * The `.BTF` section (Documentation/bpf/btf.rst §2–§4):
 *
 * ```
 *  | btf_header (hdr_len) | ... type section (type_off, type_len) ... | string section (str_off, str_len) |
 *  btf_header: magic u16 = 0xeB9F | version u8 = 1 | flags u8 | hdr_len u32 | type_off u32 | type_len u32
 *              | str_off u32 | str_len u32          (type_off / str_off count from the end of the header)
 *  btf_type:   name_off u32 | info u32 (vlen bits 0-15, kind bits 24-28, kind_flag bit 31) | size/type u32
 *              followed by kind-specific data (INT: u32; ARRAY: 3×u32; STRUCT/UNION: vlen×{name,type,offset};
 *              ENUM: vlen×{name,val}; FUNC_PROTO: vlen×{name,type}; VAR: u32; DATASEC: vlen×{type,offset,size};
 *              DECL_TAG: s32; ENUM64: vlen×{name,lo32,hi32})
 * ```
 *
 * Every type id a record refers to is checked at parse time, so lookups on a parsed BtfSpec never see a
 * dangling id; chains through typedefs/modifiers are bounded (a corrupt object may loop them).
 */
import { ByteReader, StringTable } from '../elf/byte-reader.js';
import { ObjectFormatError, UnsupportedFeatureError } from '../loader-errors.js';
import {
  BtfKind, BTF_VOID, IntEncoding,
  type BtfType, type BtfVoid, type BtfMember, type BtfEnumValue, type BtfParam, type BtfVarSecinfo, type BtfStruct,
} from './btf-types.js';

const BTF_MAGIC = 0xeb9f;
/** libbpf's MAX_RESOLVE_DEPTH: longest typedef/modifier/array chain followed before giving up. */
const MAX_RESOLVE_DEPTH = 32;

export class BtfSpec {
  private readonly byNameIndex = new Map<string, BtfType[]>();

  /** @param types index = type id; index 0 is void. @param typeOffsets byte offset of each record in `section`. */
  constructor(
    readonly types: readonly (BtfType | BtfVoid)[],
    readonly strings: StringTable,
    private readonly typeOffsets: readonly number[],
    readonly section: string,
  ) {
    for (const t of types) {
      if (t.kind === 'void' || t.name === '') continue;
      const list = this.byNameIndex.get(t.name);
      if (list) list.push(t); else this.byNameIndex.set(t.name, [t]);
    }
  }

  get count(): number {
    return this.types.length;
  }

  typeById(id: number): BtfType | BtfVoid {
    const t = this.types[id];
    if (t === undefined) throw this.error(`type id ${id} does not exist (${this.types.length} types)`, 0);
    return t;
  }

  /** Every named type with this name, optionally of one kind. */
  byName(name: string, kind?: BtfType['kind']): readonly BtfType[] {
    const all = this.byNameIndex.get(name) ?? [];
    return kind === undefined ? all : all.filter((t) => t.kind === kind);
  }

  /** Skip typedefs and modifiers (const, volatile, restrict, type_tag): the type a value really has. */
  resolve(id: number): BtfType | BtfVoid {
    let t = this.typeById(id);
    for (let depth = 0; ; depth++) {
      if (depth > MAX_RESOLVE_DEPTH) throw this.error(`type chain from id ${id} is longer than ${MAX_RESOLVE_DEPTH}`, id);
      switch (t.kind) {
        case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
          t = this.typeById(t.type);
          continue;
        default:
          return t;
      }
    }
  }

  /** Size in bytes of a value of this type, as the compiler laid it out (btf__resolve_size). */
  sizeOf(id: number): number {
    let multiplier = 1;
    let t = this.typeById(id);
    for (let depth = 0; ; depth++) {
      if (depth > MAX_RESOLVE_DEPTH) throw this.error(`type chain from id ${id} is longer than ${MAX_RESOLVE_DEPTH}`, id);
      switch (t.kind) {
        case 'int': case 'struct': case 'union': case 'enum': case 'enum64': case 'float': case 'datasec': {
          const size = multiplier * t.size;
          if (!Number.isSafeInteger(size) || size > 0xffffffff) throw this.error(`size of type id ${id} overflows`, id);
          return size;
        }
        case 'ptr':
          return multiplier * 8;
        case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag': case 'var':
          t = this.typeById(t.type);
          continue;
        case 'array':
          multiplier *= t.nelems;
          t = this.typeById(t.elemType);
          continue;
        default:
          throw this.error(`type id ${id} (${t.kind}) has no size`, id);
      }
    }
  }

  /** Byte offset of a type record inside the BTF section (for error messages). */
  offsetOf(id: number): number {
    return this.typeOffsets[id] ?? 0;
  }

  /** A human-readable name: `struct flow_key`, `__u32`, `enum meta_kind`, `<anon struct #12>`. */
  describe(id: number): string {
    const t = this.typeById(id);
    if (t.kind === 'void') return 'void';
    const label = t.name || `<anon #${id}>`;
    switch (t.kind) {
      case 'struct': case 'union': case 'enum': return `${t.kind} ${label}`;
      case 'enum64': return `enum ${label}`;
      case 'fwd': return `${t.union ? 'union' : 'struct'} ${label}`;
      default: return label;
    }
  }

  members(id: number): readonly BtfMember[] {
    const t = this.resolve(id);
    return t.kind === 'struct' || t.kind === 'union' ? t.members : [];
  }

  asStruct(id: number): BtfStruct | undefined {
    const t = this.resolve(id);
    return t.kind === 'struct' || t.kind === 'union' ? t : undefined;
  }

  error(message: string, id: number): ObjectFormatError {
    return new ObjectFormatError(message, { section: this.section, byteOffset: this.offsetOf(id) });
  }
}

/** Parse `.BTF` bytes. `section` names the region in errors. */
export function parseBtf(bytes: Uint8Array, section = '.BTF'): BtfSpec {
  const rd: ByteReader = new ByteReader(bytes, section);
  const magic = rd.u16(0, 'btf_header.magic');
  if (magic === 0x9feb) throw new UnsupportedFeatureError('big-endian', 'big-endian (bpfeb) objects are not supported');
  if (magic !== BTF_MAGIC) rd.fail(`bad BTF magic 0x${magic.toString(16)}`, 0);
  const version = rd.u8(2);
  if (version !== 1) rd.fail(`unsupported BTF version ${version}`, 2);
  const hdrLen = rd.u32(4, 'btf_header.hdr_len');
  if (hdrLen < 24) rd.fail(`btf_header.hdr_len ${hdrLen} is shorter than 24`, 4);
  rd.need(0, hdrLen, 'btf_header');
  const typeOff = hdrLen + rd.u32(8), typeLen = rd.u32(12);
  const strOff = hdrLen + rd.u32(16), strLen = rd.u32(20);
  rd.need(typeOff, typeLen, 'BTF type section');
  rd.need(strOff, strLen, 'BTF string section');
  const strings = new StringTable(bytes.subarray(strOff, strOff + strLen), `${section} strings`, strOff);
  if (strLen === 0 || bytes[strOff] !== 0) rd.fail('BTF string section does not start with the empty string', strOff);

  const tr: ByteReader = new ByteReader(bytes.subarray(0, typeOff + typeLen), section);
  const types: (BtfType | BtfVoid)[] = [BTF_VOID];
  const offsets: number[] = [0];
  const refs: { id: number; ref: number; at: number }[] = [];
  const name = (off: number, at: number): string => {
    try {
      return strings.get(off, 'type name');
    } catch {
      throw new ObjectFormatError(`type name offset ${off} is outside the string section (${strLen} bytes)`, { section, byteOffset: at });
    }
  };
  let p = typeOff;
  const end = typeOff + typeLen;
  while (p < end) {
    const id = types.length;
    const at = p;
    const nameOff = tr.u32(p, 'btf_type.name_off');
    const info = tr.u32(p + 4, 'btf_type.info');
    const sizeOrType = tr.u32(p + 8, 'btf_type.size');
    p += 12;
    const vlen = info & 0xffff;
    const kind = (info >>> 24) & 0x1f;
    const kindFlag = (info >>> 31) === 1;
    const n = name(nameOff, at);
    const ref = (r: number, where: number): number => { refs.push({ id, ref: r, at: where }); return r; };
    let t: BtfType;
    switch (kind) {
      case BtfKind.INT: {
        const v = tr.u32(p, 'int encoding');
        p += 4;
        t = { kind: 'int', id, name: n, size: sizeOrType, encoding: (v >>> 24) & 0x0f, bitOffset: (v >>> 16) & 0xff, bits: v & 0xff };
        break;
      }
      case BtfKind.PTR: t = { kind: 'ptr', id, name: n, type: ref(sizeOrType, at + 8) }; break;
      case BtfKind.ARRAY: {
        t = { kind: 'array', id, name: n, elemType: ref(tr.u32(p), p), indexType: ref(tr.u32(p + 4), p + 4), nelems: tr.u32(p + 8) };
        p += 12;
        break;
      }
      case BtfKind.STRUCT: case BtfKind.UNION: {
        tr.need(p, vlen * 12, 'members');
        const members: BtfMember[] = [];
        for (let i = 0; i < vlen; i++, p += 12) {
          const off = tr.u32(p + 8);
          members.push(Object.freeze({
            name: name(tr.u32(p), p), type: ref(tr.u32(p + 4), p + 4),
            bitOffset: kindFlag ? off & 0xffffff : off, bitfieldSize: kindFlag ? off >>> 24 : 0,
          }));
        }
        t = { kind: kind === BtfKind.STRUCT ? 'struct' : 'union', id, name: n, size: sizeOrType, members: Object.freeze(members) };
        break;
      }
      case BtfKind.ENUM: case BtfKind.ENUM64: {
        const rec = kind === BtfKind.ENUM ? 8 : 12;
        tr.need(p, vlen * rec, 'enumerators');
        const values: BtfEnumValue[] = [];
        for (let i = 0; i < vlen; i++, p += rec) {
          const value = kind === BtfKind.ENUM
            ? (kindFlag ? BigInt(tr.i32(p + 4)) : BigInt(tr.u32(p + 4)))
            : (() => {
              const v = (BigInt(tr.u32(p + 8)) << 32n) | BigInt(tr.u32(p + 4));
              return kindFlag ? BigInt.asIntN(64, v) : v;
            })();
          values.push(Object.freeze({ name: name(tr.u32(p), p), value }));
        }
        t = { kind: kind === BtfKind.ENUM ? 'enum' : 'enum64', id, name: n, size: sizeOrType, signed: kindFlag, values: Object.freeze(values) };
        break;
      }
      case BtfKind.FWD: t = { kind: 'fwd', id, name: n, union: kindFlag }; break;
      case BtfKind.TYPEDEF: t = { kind: 'typedef', id, name: n, type: ref(sizeOrType, at + 8) }; break;
      case BtfKind.VOLATILE: t = { kind: 'volatile', id, name: n, type: ref(sizeOrType, at + 8) }; break;
      case BtfKind.CONST: t = { kind: 'const', id, name: n, type: ref(sizeOrType, at + 8) }; break;
      case BtfKind.RESTRICT: t = { kind: 'restrict', id, name: n, type: ref(sizeOrType, at + 8) }; break;
      case BtfKind.TYPE_TAG: t = { kind: 'type_tag', id, name: n, type: ref(sizeOrType, at + 8) }; break;
      case BtfKind.FUNC: {
        const linkage = vlen === 0 ? 'static' : vlen === 1 ? 'global' : vlen === 2 ? 'extern' : tr.fail(`FUNC linkage ${vlen} is unknown`, at + 4);
        t = { kind: 'func', id, name: n, type: ref(sizeOrType, at + 8), linkage };
        break;
      }
      case BtfKind.FUNC_PROTO: {
        tr.need(p, vlen * 8, 'params');
        const params: BtfParam[] = [];
        let variadic = false;
        for (let i = 0; i < vlen; i++, p += 8) {
          const pt = tr.u32(p + 4);
          if (pt === 0 && i === vlen - 1) { variadic = true; continue; }
          params.push(Object.freeze({ name: name(tr.u32(p), p), type: ref(pt, p + 4) }));
        }
        t = { kind: 'func_proto', id, name: n, returnType: ref(sizeOrType, at + 8), params: Object.freeze(params), variadic };
        break;
      }
      case BtfKind.VAR: {
        const l = tr.u32(p, 'var linkage');
        p += 4;
        const linkage = l === 0 ? 'static' : l === 1 ? 'global' : l === 2 ? 'extern' : tr.fail(`VAR linkage ${l} is unknown`, p - 4);
        t = { kind: 'var', id, name: n, type: ref(sizeOrType, at + 8), linkage };
        break;
      }
      case BtfKind.DATASEC: {
        tr.need(p, vlen * 12, 'datasec vars');
        const vars: BtfVarSecinfo[] = [];
        for (let i = 0; i < vlen; i++, p += 12) {
          vars.push(Object.freeze({ type: ref(tr.u32(p), p), offset: tr.u32(p + 4), size: tr.u32(p + 8) }));
        }
        t = { kind: 'datasec', id, name: n, size: sizeOrType, vars: Object.freeze(vars) };
        break;
      }
      case BtfKind.FLOAT: t = { kind: 'float', id, name: n, size: sizeOrType }; break;
      case BtfKind.DECL_TAG: {
        t = { kind: 'decl_tag', id, name: n, type: ref(sizeOrType, at + 8), componentIndex: tr.i32(p) };
        p += 4;
        break;
      }
      default:
        tr.fail(`unknown BTF kind ${kind} for type id ${id}`, at + 4);
    }
    types.push(Object.freeze(t));
    offsets.push(at);
  }
  if (p !== end) rd.fail(`type section ends inside a record`, end);
  for (const r of refs) {
    if (r.ref >= types.length) {
      throw new ObjectFormatError(`type id ${r.id} refers to type id ${r.ref}, which does not exist (${types.length} types)`,
        { section, byteOffset: r.at });
    }
  }
  for (const t of types) {
    if (t.kind === 'int' && (t.encoding & ~(IntEncoding.SIGNED | IntEncoding.CHAR | IntEncoding.BOOL)) !== 0) {
      throw new ObjectFormatError(`INT type id ${t.id} has unknown encoding ${t.encoding}`, { section, byteOffset: offsets[t.id]! });
    }
  }
  return new BtfSpec(Object.freeze(types), strings, offsets, section);
}
