/**
 * The part of the WebAssembly JS API the JIT uses. The project's `lib` (ES2022 + node types) does not
 * describe the WebAssembly namespace, and a global declaration would clash with other areas' workarounds,
 * so the JIT types the subset it needs here; the values are the real ones from globalThis.
 */
export interface WasmModule { readonly __wasmModule: unique symbol }

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(deltaPages: number): number;
}

export interface WasmTable {
  readonly length: number;
  grow(delta: number): number;
  set(index: number, value: unknown): void;
  get(index: number): unknown;
}

export interface WasmInstance { readonly exports: Record<string, unknown> }

export type WasmImports = Record<string, Record<string, unknown>>;

interface WasmNamespace {
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
  readonly Memory: new (desc: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  readonly Global: new (desc: { value: 'i32' | 'i64'; mutable?: boolean }, value: number | bigint) => object;
  readonly Table: new (desc: { element: 'anyfunc'; initial: number }) => WasmTable;
  /** A trap (unreachable, out-of-bounds access, misaligned atomic...). */
  readonly RuntimeError: new (message?: string) => Error;
}

export const Wasm = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly;
