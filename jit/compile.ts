/**
 * eBPF program → compiled wasm module. Tier 1 (optimizeLevel 0) is Binaryen IR build + binary emit + V8
 * compile with no Binaryen passes, for fast attach; higher levels run Binaryen's default pipeline at that
 * -O level first (design.md §3 figures: -O3 pays mostly on large programs).
 */
import type { Insn } from '../src/ebpf/insn.js';
import { buildModule } from './module-builder.js';
import { BinaryenWriter } from './binaryen-writer.js';
import { Wasm, type WasmModule } from './wasm-api.js';
import type { InlineHelper, ReadOnlyData } from './function-builder.js';

/** What the JIT needs of a program: ExecProgram (src/vm/exec-types.ts) satisfies it. */
export interface JitProgram {
  readonly name: string;
  /** LD_IMM64 src=1/2 already bound to arena addresses. */
  readonly insns: readonly Insn[];
  readonly funcs: readonly { readonly insn: number }[];
}

export interface JitOptions {
  /** Binaryen -O level; 0 = no Binaryen optimisation (tier 1). Default 0. */
  readonly optimizeLevel?: 0 | 1 | 2 | 3 | 4;
  /** Run Binaryen's validator on the generated IR before emitting (tests; costs a few ms). Default false. */
  readonly validate?: boolean;
  /** Keep non-escaping stack slots in locals (jit/stack-promotion.ts). Default true. */
  readonly promoteStack?: boolean;
  /** Helpers emitted inline (jit/inline-helpers.ts); default: every helper goes through the JS trampoline. */
  readonly inlineHelper?: InlineHelper;
  /** Frozen read-only data whose loads fold to constants (design.md §3: specialised on `.rodata`). */
  readonly readOnly?: readonly ReadOnlyData[];
}

export interface CompileTimings {
  /** Lowering into the backend (Binaryen IR or direct encoding). */
  readonly buildMs: number;
  /** Binaryen optimisation (at -O1+) and binary emission. */
  readonly optimizeAndEmitMs: number;
  readonly v8CompileMs: number;
}

export interface CompiledProgram {
  readonly name: string;
  readonly wasm: Uint8Array;
  readonly module: WasmModule;
  /** First slot of every sub-program (each exported as sub_<slot>). */
  readonly subPrograms: readonly number[];
  readonly usesTailCall: boolean;
  readonly timings: CompileTimings;
}

export function compileProgram(program: JitProgram, options: JitOptions = {}): CompiledProgram {
  const t0 = performance.now();
  const level = options.optimizeLevel ?? 0;
  const writer = new BinaryenWriter({ optimizeLevel: level, validate: options.validate ?? false, program: program.name });
  let built;
  try {
    built = buildModule(writer, program.name, program.insns, program.funcs.map((f) => f.insn), {
      promoteStack: options.promoteStack ?? true,
      ...(options.inlineHelper ? { inlineHelper: options.inlineHelper } : {}),
      ...(options.readOnly ? { readOnly: options.readOnly } : {}),
    });
  } catch (e) {
    writer.dispose();
    throw e;
  }
  const t1 = performance.now();
  const wasm = writer.finish();
  const t2 = performance.now();
  const module = new Wasm.Module(wasm);
  const t3 = performance.now();
  return {
    name: program.name,
    wasm,
    module,
    subPrograms: built.subPrograms.map((s) => s.start),
    usesTailCall: built.usesTailCall,
    timings: { buildMs: t1 - t0, optimizeAndEmitMs: t2 - t1, v8CompileMs: t3 - t2 },
  };
}
