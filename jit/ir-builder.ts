/**
 * The part of Binaryen's expression-building API the lowerings use. Two implementations: binaryen.Module
 * itself (tier 2: Binaryen IR, then Binaryen's optimiser) and jit/wasm-emitter.ts, which encodes wasm
 * directly (tier 1: no per-node calls into Binaryen's wasm, whose C++ exceptions go through JS).
 * Expressions are built children first, as in Binaryen; value types are binaryen.i32 / i64 / none.
 */
export type Expr = number;
export type ValueType = number;

type Unary = (value: Expr) => Expr;
type Binary = (left: Expr, right: Expr) => Expr;
type Load = (offset: number, align: number, ptr: Expr) => Expr;
type Store = (offset: number, align: number, ptr: Expr, value: Expr) => Expr;

export interface AtomicRmw {
  add(offset: number, ptr: Expr, value: Expr): Expr;
  or(offset: number, ptr: Expr, value: Expr): Expr;
  and(offset: number, ptr: Expr, value: Expr): Expr;
  xor(offset: number, ptr: Expr, value: Expr): Expr;
  xchg(offset: number, ptr: Expr, value: Expr): Expr;
  cmpxchg(offset: number, ptr: Expr, expected: Expr, replacement: Expr): Expr;
}

export interface IntOps {
  add: Binary; sub: Binary; mul: Binary; div_s: Binary; div_u: Binary; rem_s: Binary; rem_u: Binary;
  and: Binary; or: Binary; xor: Binary; shl: Binary; shr_u: Binary; shr_s: Binary;
  eq: Binary; ne: Binary; lt_s: Binary; lt_u: Binary; le_s: Binary; le_u: Binary; gt_s: Binary; gt_u: Binary;
  ge_s: Binary; ge_u: Binary;
  eqz: Unary;
}

export interface I32Ops extends IntOps {
  const(value: number): Expr;
  wrap: Unary; rotl: Binary; rotr: Binary; extend8_s: Unary; extend16_s: Unary;
  load: Load; load8_u: Load; load16_u: Load;
  store: Store;
  atomic: { load(offset: number, ptr: Expr): Expr; rmw: AtomicRmw };
}

export interface I64Ops extends IntOps {
  const(value: bigint): Expr;
  extend_u: Unary; extend8_s: Unary; extend16_s: Unary; extend32_s: Unary;
  load: Load; load8_u: Load; load8_s: Load; load16_u: Load; load16_s: Load; load32_u: Load; load32_s: Load;
  store: Store; store8: Store; store16: Store; store32: Store;
  atomic: { rmw: AtomicRmw };
}

/**
 * A funcref table of sub-program-typed functions (tail calls, design.md §3). Only the direct encoder offers
 * it; the Binaryen backend leaves `table` undefined and tail calls take the JS path.
 */
export interface TableOps {
  /** table.size */
  size(table: string): Expr;
  /** ref.is_null (table.get index) */
  isNull(table: string, index: Expr): Expr;
  /** return_call_indirect through `table` with the signature params → result (wasm tail calls). */
  returnCallIndirect(table: string, index: Expr, operands: Expr[], params: readonly ValueType[], result: ValueType): Expr;
}

export interface IrBuilder {
  readonly tailTable?: TableOps;
  readonly i32: I32Ops;
  readonly i64: I64Ops;
  readonly local: { get(index: number, type: ValueType): Expr; set(index: number, value: Expr): Expr };
  readonly global: { get(name: string, type: ValueType): Expr; set(name: string, value: Expr): Expr };
  block(label: string | null, children: Expr[], type?: ValueType): Expr;
  if(condition: Expr, ifTrue: Expr, ifFalse?: Expr): Expr;
  loop(label: string | null, body: Expr): Expr;
  br(label: string, condition?: Expr): Expr;
  select(condition: Expr, ifTrue: Expr, ifFalse: Expr): Expr;
  drop(value: Expr): Expr;
  return(value?: Expr): Expr;
  call(name: string, operands: Expr[], returnType: ValueType): Expr;
  unreachable(): Expr;
}
