/** The Binaryen backend of ModuleWriter: Binaryen IR, optionally optimised at an -O level, then emitted. */
import binaryen from 'binaryen';
import type { ValueType } from './ir-builder.js';
import type { ModuleWriter } from './module-writer.js';
import { relooperStructurer, type Structurer } from './function-builder.js';
import { JitCompileError } from './errors.js';

/**
 * Wasm features every Node ≥ 20 V8 runs: threads/atomics (shared arena), sign extension, mutable globals,
 * bulk memory, tail calls, non-trapping float→int.
 */
export const WASM_FEATURES =
  binaryen.Features.Atomics | binaryen.Features.MutableGlobals | binaryen.Features.SignExt |
  binaryen.Features.BulkMemory | binaryen.Features.TailCall | binaryen.Features.NontrappingFPToInt;

const MEMORY_NAME = 'arena';

export interface BinaryenWriterOptions {
  readonly optimizeLevel: number;
  /** Run Binaryen's validator before emitting (V8 validates anyway; this gives Binaryen's clearer message). */
  readonly validate: boolean;
  readonly program: string;
}

export class BinaryenWriter implements ModuleWriter {
  private readonly m = new binaryen.Module();
  private readonly functions = new Set<string>();
  readonly structure: Structurer;

  constructor(private readonly options: BinaryenWriterOptions) {
    this.m.setFeatures(WASM_FEATURES);
    this.structure = relooperStructurer(this.m);
  }

  get ir(): binaryen.Module {
    return this.m;
  }

  importMemory(): void {
    this.m.setMemory(1, 65536, null, [], true, false, MEMORY_NAME);
    this.m.addMemoryImport(MEMORY_NAME, 'env', 'memory', true);
  }

  importGlobal(name: string, externalName: string, type: ValueType): void {
    this.m.addGlobalImport(name, 'env', externalName, type, false);
  }

  importFunction(name: string, externalName: string, params: readonly ValueType[], result: ValueType): void {
    this.m.addFunctionImport(name, 'env', externalName, binaryen.createType([...params]), result);
  }

  addMutableGlobal(name: string, type: ValueType, initial: number): void {
    this.m.addGlobal(name, type, true, this.m.i32.const(initial));
  }

  exportGlobal(name: string, externalName: string): void {
    this.m.addGlobalExport(name, externalName);
  }

  exportFunction(name: string, externalName: string): void {
    this.m.addFunctionExport(name, externalName);
  }

  hasFunction(name: string): boolean {
    return this.functions.has(name);
  }

  addFunction(name: string, params: readonly ValueType[], result: ValueType, vars: readonly ValueType[], body: number): void {
    this.functions.add(name);
    this.m.addFunction(name, binaryen.createType([...params]), result, [...vars], body);
  }

  finish(): Uint8Array {
    try {
      if (this.options.validate && !this.m.validate()) throw new JitCompileError('Binaryen rejected the generated module', this.options.program, 0);
      if (this.options.optimizeLevel > 0) {
        const previous = binaryen.getOptimizeLevel();
        binaryen.setOptimizeLevel(this.options.optimizeLevel);
        try {
          this.m.optimize();
        } finally {
          binaryen.setOptimizeLevel(previous);
        }
      }
      return this.m.emitBinary();
    } finally {
      this.m.dispose();
    }
  }

  dispose(): void {
    this.m.dispose();
  }
}
