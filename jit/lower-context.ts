/**
 * What the per-instruction lowerings (lower-alu.ts, lower-memory.ts, lower-jump.ts, inline-helpers.ts) need
 * from the function being built: an expression builder (either backend), eBPF registers as i64 locals,
 * scratch locals, and the per-block facts the lowerings specialise on.
 */
import type { Insn } from '../src/ebpf/insn.js';
import type { Expr, IrBuilder, ValueType } from './ir-builder.js';

export type { Expr } from './ir-builder.js';

/** Module-level additions a lowering may make (a per-map lookup function). */
export interface ModuleSink {
  hasFunction(name: string): boolean;
  addFunction(name: string, params: readonly ValueType[], result: ValueType, vars: readonly ValueType[], body: Expr): void;
}

export interface LowerContext {
  readonly m: IrBuilder;
  readonly module: ModuleSink;
  readonly program: string;
  /**
   * The module is built with `--harden`: a lowering that reads or writes memory a helper argument names keeps
   * the trampoline there, where the runtime checks the argument first (jit/harden-helper-args.ts).
   */
  readonly hardened: boolean;
  /** The i64 value of eBPF register `reg` (r0..r10). */
  get(reg: number): Expr;
  /** Assign register `reg` (an i64 expression); returns the statement. */
  set(reg: number, value: Expr): Expr;
  /** A fresh i64 scratch local (index) for values used more than once within one instruction's lowering. */
  tempI64(): number;
  /** A fresh i32 scratch local. */
  tempI32(): number;
  /**
   * The i64 local holding the stack slot at r10+off of `size` bytes when stack promotion put it in a local
   * (jit/stack-promotion.ts), else undefined.
   */
  promotedSlot(baseReg: number, off: number, size: number): number | undefined;
  /**
   * The arena address of the map `reg` points to, when an LD_IMM64 src=1 earlier in the same basic block
   * loaded it and nothing wrote `reg` since.
   */
  knownMap(reg: number): number | undefined;
  /**
   * The first slot of the callback sub-program `reg` holds, when an LD_IMM64 src=4 (BPF_PSEUDO_FUNC) earlier
   * in the same basic block loaded it and nothing wrote `reg` since (clang's way of passing a callback).
   */
  knownCallback(reg: number): number | undefined;
  /** The program's instructions (a lowering may inspect a callback sub-program's code). */
  readonly insns: readonly Insn[];
  /** The wasm function of the sub-program starting at `slot` (its name, prefixed in a fused chain). */
  subProgramFunction(slot: number): string;
  /**
   * The arena addresses of every map an LD_IMM64 src=1 of the program loads, in order of first appearance:
   * the maps a call site whose map is not known in its block may be given (besides inner maps of map-in-map
   * lookups), which a lowering can test for at run time (jit/lower-map-dispatch.ts).
   */
  programMaps(): readonly number[];
  /**
   * The value a load of `size` bytes at reg+off reads, when `reg` holds an address loaded by an LD_IMM64
   * src=2 earlier in the same block and the bytes lie in read-only data the module is specialised on
   * (frozen `.rodata`, as libbpf freezes it before load); undefined otherwise.
   */
  constantLoad(reg: number, off: number, size: number, signed: boolean): bigint | undefined;
  /**
   * An instruction's immediate as an i64 / i32 expression: a plain constant, or under `--harden` the constant
   * XORed with the module's random key and re-XORed with the key at run time (constant blinding, as the
   * kernel's bpf_jit_blind_constants), so no program-chosen bit pattern appears in the generated code.
   */
  imm64(value: bigint): Expr;
  imm32(value: number): Expr;
  /**
   * The i32 address a load/store of `size` bytes at reg+off uses: reg's low word + off, and under `--harden`
   * masked into the object the access belongs to (jit/harden.ts).
   */
  accessAddress(reg: number, off: number, size: number, at: number): { readonly ptr: Expr; readonly offset: number };
}
