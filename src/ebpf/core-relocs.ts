/**
 * CO-RE relocations (libbpf relo_core.c; Documentation/bpf/llvm_reloc.rst "CO-RE Relocations") resolved
 * against the object's *own* BTF: xdpjit has no kernel BTF, so the "target" of every relocation is the local
 * type itself. That is exact for types the object defines completely (its own structs, UAPI structs such as
 * `xdp_md`, its enums); a relocation whose root type is only forward-declared would need a kernel's BTF and
 * is refused with UnsupportedFeatureError naming the type and accessor.
 *
 * The accessor string `a:b:c...` starts with an array index on the root type, then one member index (struct,
 * union) or element index (array) per step. The computed value is written where clang left the local one:
 * ALU immediate, load/store offset, or LD_IMM64 immediate (bpf_core_patch_insn), after checking that the
 * instruction really holds the local value, as libbpf's validation does.
 */
import { ObjectFormatError, UnsupportedFeatureError } from './loader-errors.js';
import type { ExtCoreRelo } from './btf/btf-ext.js';
import type { BtfSpec } from './btf/btf.js';
import { IntEncoding } from './btf/btf-types.js';
import { Class, Source, classOf, sourceOf } from './opcodes.js';
import { OP_LD_IMM64 } from './insn.js';

export const CoreReloKind = {
  FIELD_BYTE_OFFSET: 0, FIELD_BYTE_SIZE: 1, FIELD_EXISTS: 2, FIELD_SIGNED: 3, FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5, TYPE_ID_LOCAL: 6, TYPE_ID_TARGET: 7, TYPE_EXISTS: 8, TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10, ENUMVAL_VALUE: 11, TYPE_MATCHES: 12,
} as const;

const KIND_NAMES = ['field_byte_offset', 'field_byte_size', 'field_exists', 'field_signed', 'field_lshift_u64',
  'field_rshift_u64', 'type_id_local', 'type_id_target', 'type_exists', 'type_size', 'enumval_exists',
  'enumval_value', 'type_matches'];

export function coreKindName(kind: number): string {
  return KIND_NAMES[kind] ?? `kind ${kind}`;
}

interface MutableInsn { code: number; dst: number; src: number; off: number; imm: number }

const SECTION = '.BTF.ext';

/**
 * The value the relocation asks for, computed on the local BTF, and whether the instruction must already
 * hold it. libbpf (bpf_core_calc_field_relo) does not validate bitfield offsets, sizes and shifts, which
 * may legitimately differ from clang's choice of load unit, nor TYPE_ID_TARGET.
 */
export interface CoreValue { readonly value: bigint; readonly validate: boolean }

export function resolveCoreRelo(btf: BtfSpec, relo: ExtCoreRelo): CoreValue {
  const where = { section: SECTION, byteOffset: relo.at };
  const what = `CO-RE ${coreKindName(relo.kind)} relocation on ${btf.describe(relo.typeId)} (accessor "${relo.accessor}")`;
  if (!/^\d+(:\d+)*$/.test(relo.accessor) || relo.accessor.length > 256) {
    throw new ObjectFormatError(`${what}: malformed accessor`, where);
  }
  const path = relo.accessor.split(':').map(Number);
  const root = btf.resolve(relo.typeId);
  if (root.kind === 'fwd' || root.kind === 'void') {
    throw new UnsupportedFeatureError(`CO-RE relocation against ${btf.describe(relo.typeId)}`,
      `${what} cannot be resolved: the type is not defined in the object, and xdpjit has no kernel BTF`);
  }
  switch (relo.kind) {
    case CoreReloKind.TYPE_ID_LOCAL:
      return { value: BigInt(relo.typeId), validate: true };
    case CoreReloKind.TYPE_ID_TARGET:
      return { value: BigInt(relo.typeId), validate: false };
    case CoreReloKind.TYPE_EXISTS: case CoreReloKind.TYPE_MATCHES:
      return { value: 1n, validate: true };
    case CoreReloKind.TYPE_SIZE:
      return { value: BigInt(btf.sizeOf(relo.typeId)), validate: true };
    case CoreReloKind.ENUMVAL_EXISTS: case CoreReloKind.ENUMVAL_VALUE: {
      if (root.kind !== 'enum' && root.kind !== 'enum64') throw new ObjectFormatError(`${what}: not an enum`, where);
      const v = root.values[path[0]!];
      if (!v || path.length !== 1) throw new ObjectFormatError(`${what}: enumerator ${path[0]} does not exist`, where);
      return { value: relo.kind === CoreReloKind.ENUMVAL_EXISTS ? 1n : v.value, validate: true };
    }
    case CoreReloKind.FIELD_BYTE_OFFSET: case CoreReloKind.FIELD_BYTE_SIZE: case CoreReloKind.FIELD_EXISTS:
    case CoreReloKind.FIELD_SIGNED: case CoreReloKind.FIELD_LSHIFT_U64: case CoreReloKind.FIELD_RSHIFT_U64:
      return fieldRelo(btf, relo, path, what, where);
    default:
      throw new UnsupportedFeatureError(`CO-RE relocation kind ${relo.kind}`, `${what}: unknown relocation kind ${relo.kind}`);
  }
}

function fieldRelo(btf: BtfSpec, relo: ExtCoreRelo, path: number[], what: string, where: { section: string; byteOffset: number }): CoreValue {
  let typeId = relo.typeId;
  let bitOff = path[0]! * btf.sizeOf(typeId) * 8;
  let bitfield = 0;
  for (const idx of path.slice(1)) {
    const t = btf.resolve(typeId);
    if (t.kind === 'struct' || t.kind === 'union') {
      const m = t.members[idx];
      if (!m) throw new ObjectFormatError(`${what}: member ${idx} does not exist in ${btf.describe(t.id)}`, where);
      bitOff += m.bitOffset;
      bitfield = m.bitfieldSize;
      typeId = m.type;
    } else if (t.kind === 'array') {
      if (t.nelems !== 0 && idx >= t.nelems) throw new ObjectFormatError(`${what}: index ${idx} is past the array's ${t.nelems} elements`, where);
      bitOff += idx * btf.sizeOf(t.elemType) * 8;
      bitfield = 0;
      typeId = t.elemType;
    } else {
      throw new ObjectFormatError(`${what}: cannot index into a ${t.kind}`, where);
    }
  }
  if (!Number.isSafeInteger(bitOff)) throw new ObjectFormatError(`${what}: offset overflows`, where);
  const field = btf.resolve(typeId);
  let byteSize: number;
  let byteOff: number;
  let bitSize: number;
  if (bitfield === 0) {
    byteSize = btf.sizeOf(typeId);
    byteOff = Math.floor(bitOff / 8);
    bitSize = byteSize * 8;
  } else {
    // Bitfields: the smallest naturally aligned load unit (starting from the member type's size) that
    // covers the whole field, as libbpf's bpf_core_calc_field_relo chooses it.
    bitSize = bitfield;
    byteSize = btf.sizeOf(typeId);
    if (byteSize === 0) throw new ObjectFormatError(`${what}: bitfield of a zero-size type`, where);
    byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
      if (byteSize >= 8) throw new UnsupportedFeatureError(`CO-RE bitfield wider than 8 bytes`, `${what}: bitfield does not fit an 8-byte load`);
      byteSize *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    }
  }
  const validate = bitfield === 0;
  switch (relo.kind) {
    case CoreReloKind.FIELD_BYTE_OFFSET: return { value: BigInt(byteOff), validate };
    case CoreReloKind.FIELD_BYTE_SIZE: return { value: BigInt(byteSize), validate };
    case CoreReloKind.FIELD_EXISTS: return { value: 1n, validate: true };
    case CoreReloKind.FIELD_SIGNED: {
      const signed = (field.kind === 'int' && (field.encoding & IntEncoding.SIGNED) !== 0)
        || ((field.kind === 'enum' || field.kind === 'enum64') && field.signed);
      return { value: signed ? 1n : 0n, validate: true };
    }
    case CoreReloKind.FIELD_LSHIFT_U64: return { value: BigInt(64 - (bitOff + bitSize - byteOff * 8)), validate };
    default: return { value: BigInt(64 - bitSize), validate };
  }
}

/** Write the value into the instruction at `index` (bpf_core_patch_insn), checking it held the local value where libbpf does. */
export function patchCoreInsn(insns: MutableInsn[], index: number, { value, validate }: CoreValue, relo: ExtCoreRelo, btf: BtfSpec): void {
  const where = { section: SECTION, byteOffset: relo.at };
  const what = `CO-RE ${coreKindName(relo.kind)} relocation on ${btf.describe(relo.typeId)} (accessor "${relo.accessor}") at insn ${index}`;
  const insn = insns[index];
  if (!insn) throw new ObjectFormatError(`${what}: instruction does not exist`, where);
  const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
  const cls = classOf(insn.code);
  if (insn.code === OP_LD_IMM64) {
    const next = insns[index + 1];
    if (!next) throw new ObjectFormatError(`${what}: LD_IMM64 lacks its second slot`, where);
    const orig = (BigInt(next.imm >>> 0) << 32n) | BigInt(insn.imm >>> 0);
    if (validate && orig !== u64(value)) throw new ObjectFormatError(`${what}: instruction holds ${orig}, not the local value ${value}`, where);
    insn.imm = Number(BigInt.asIntN(32, value));
    next.imm = Number(BigInt.asIntN(32, value >> 32n));
  } else if (cls === Class.ALU || cls === Class.ALU64) {
    if (sourceOf(insn.code) !== Source.K) throw new ObjectFormatError(`${what}: ALU instruction with a register source`, where);
    if (validate && u64(BigInt(insn.imm)) !== u64(value)) throw new ObjectFormatError(`${what}: instruction holds ${insn.imm}, not the local value ${value}`, where);
    if (value > 0xffffffffn || value < -0x80000000n) throw new UnsupportedFeatureError('CO-RE value wider than 32 bits', `${what}: value ${value} does not fit an ALU immediate`);
    insn.imm = Number(BigInt.asIntN(32, value));
  } else if (cls === Class.LDX || cls === Class.ST || cls === Class.STX) {
    if (relo.kind !== CoreReloKind.FIELD_BYTE_OFFSET) throw new ObjectFormatError(`${what}: a load/store can only take a field offset`, where);
    if (validate && BigInt(insn.off) !== value) throw new ObjectFormatError(`${what}: instruction offset is ${insn.off}, not the local value ${value}`, where);
    if (value > 0x7fffn) throw new UnsupportedFeatureError('CO-RE offset wider than 16 bits', `${what}: offset ${value} does not fit`);
    insn.off = Number(value);
  } else {
    throw new ObjectFormatError(`${what}: instruction 0x${insn.code.toString(16)} cannot take a CO-RE value`, where);
  }
}
