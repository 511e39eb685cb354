/**
 * Module-level construction behind one interface, so module-builder.ts describes the program module once and
 * either backend produces it: Binaryen (binaryen-writer.ts, for -O levels) or the direct wasm encoder
 * (wasm-emitter.ts, tier 1).
 */
import type { IrBuilder, ValueType } from './ir-builder.js';
import type { ModuleSink } from './lower-context.js';
import type { Structurer } from './function-builder.js';

export interface ModuleWriter extends ModuleSink {
  readonly ir: IrBuilder;
  /** How this backend turns a sub-program's blocks into structured control flow. */
  readonly structure: Structurer;
  /** `env.memory`: the shared arena, memory32, ≤ 65536 pages. */
  importMemory(): void;
  importGlobal(name: string, externalName: string, type: ValueType): void;
  importFunction(name: string, externalName: string, params: readonly ValueType[], result: ValueType): void;
  /** A funcref table import; present only where `ir.tailTable` is. */
  importTable?(name: string, externalName: string): void;
  addMutableGlobal(name: string, type: ValueType, initial: number): void;
  exportGlobal(name: string, externalName: string): void;
  exportFunction(name: string, externalName: string): void;
  /** The wasm binary; the writer is spent afterwards. */
  finish(): Uint8Array;
  /** Release native resources without finishing (on error). */
  dispose(): void;
}
