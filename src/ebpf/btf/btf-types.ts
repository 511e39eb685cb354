/**
 * BTF type records (Documentation/bpf/btf.rst §2, include/uapi/linux/btf.h). Each kind is its own
 * immutable record; `id` is the type's index in the object's BTF (0 is `void`, never stored).
 */

export const BtfKind = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10,
  RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

/** BTF_INT_ENCODING bits. */
export const IntEncoding = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

export interface BtfInt {
  readonly kind: 'int'; readonly id: number; readonly name: string;
  readonly size: number; readonly encoding: number; readonly bitOffset: number; readonly bits: number;
}
export interface BtfPtr { readonly kind: 'ptr'; readonly id: number; readonly name: string; readonly type: number }
export interface BtfArray {
  readonly kind: 'array'; readonly id: number; readonly name: string;
  readonly elemType: number; readonly indexType: number; readonly nelems: number;
}
export interface BtfMember {
  readonly name: string; readonly type: number;
  /** Offset from the start of the struct, in bits. */
  readonly bitOffset: number;
  /** Bitfield width in bits; 0 for an ordinary member. */
  readonly bitfieldSize: number;
}
export interface BtfStruct {
  readonly kind: 'struct' | 'union'; readonly id: number; readonly name: string;
  readonly size: number; readonly members: readonly BtfMember[];
}
export interface BtfEnumValue { readonly name: string; readonly value: bigint }
export interface BtfEnum {
  readonly kind: 'enum' | 'enum64'; readonly id: number; readonly name: string;
  readonly size: number; readonly signed: boolean; readonly values: readonly BtfEnumValue[];
}
export interface BtfFwd { readonly kind: 'fwd'; readonly id: number; readonly name: string; readonly union: boolean }
export interface BtfTypedef { readonly kind: 'typedef'; readonly id: number; readonly name: string; readonly type: number }
export interface BtfModifier {
  readonly kind: 'volatile' | 'const' | 'restrict' | 'type_tag'; readonly id: number; readonly name: string; readonly type: number;
}
export type FuncLinkage = 'static' | 'global' | 'extern';
export interface BtfFunc {
  readonly kind: 'func'; readonly id: number; readonly name: string; readonly type: number; readonly linkage: FuncLinkage;
}
export interface BtfParam { readonly name: string; readonly type: number }
export interface BtfFuncProto {
  readonly kind: 'func_proto'; readonly id: number; readonly name: string;
  readonly returnType: number; readonly params: readonly BtfParam[];
  /** The last parameter is `...` (encoded as an unnamed param of type 0). */
  readonly variadic: boolean;
}
export type VarLinkage = 'static' | 'global' | 'extern';
export interface BtfVar { readonly kind: 'var'; readonly id: number; readonly name: string; readonly type: number; readonly linkage: VarLinkage }
export interface BtfVarSecinfo { readonly type: number; readonly offset: number; readonly size: number }
export interface BtfDatasec {
  readonly kind: 'datasec'; readonly id: number; readonly name: string; readonly size: number; readonly vars: readonly BtfVarSecinfo[];
}
export interface BtfFloat { readonly kind: 'float'; readonly id: number; readonly name: string; readonly size: number }
export interface BtfDeclTag {
  readonly kind: 'decl_tag'; readonly id: number; readonly name: string; readonly type: number;
  /** -1: the tag applies to the type itself; otherwise the member / parameter index. */
  readonly componentIndex: number;
}

export type BtfType =
  | BtfInt | BtfPtr | BtfArray | BtfStruct | BtfEnum | BtfFwd | BtfTypedef | BtfModifier | BtfFunc
  | BtfFuncProto | BtfVar | BtfDatasec | BtfFloat | BtfDeclTag;

/** `void` (type id 0). */
export interface BtfVoid { readonly kind: 'void'; readonly id: 0; readonly name: '' }
export const BTF_VOID: BtfVoid = Object.freeze({ kind: 'void', id: 0, name: '' });
