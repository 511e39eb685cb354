/**
 * eBPF program → compiled wasm module. Tier 1 (optimizeLevel 0) is Binaryen IR build + binary emit + V8
 * compile with no Binaryen passes, for fast attach; higher levels run Binaryen's default pipeline at that
 * -O level first (design.md §3 figures: -O3 pays mostly on large programs).
 */
import binaryen from 'binaryen';
import type { Insn } from '../src/ebpf/insn.js';
import { buildModule } from './module-builder.js';
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
  readonly buildMs: number;
  readonly optimizeMs: number;
  readonly emitMs: number;
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
  const built = buildModule(program.name, program.insns, program.funcs.map((f) => f.insn), {
    promoteStack: options.promoteStack ?? true,
    validate: options.validate ?? false,
    ...(options.inlineHelper ? { inlineHelper: options.inlineHelper } : {}),
    ...(options.readOnly ? { readOnly: options.readOnly } : {}),
  });
  const m = built.module;
  try {
    const t1 = performance.now();
    const level = options.optimizeLevel ?? 0;
    if (level > 0) {
      const previous = binaryen.getOptimizeLevel();
      binaryen.setOptimizeLevel(level);
      try {
        m.optimize();
      } finally {
        binaryen.setOptimizeLevel(previous);
      }
    }
    const t2 = performance.now();
    const wasm = m.emitBinary();
    const t3 = performance.now();
    const module = new Wasm.Module(wasm);
    const t4 = performance.now();
    return {
      name: program.name,
      wasm,
      module,
      subPrograms: built.subPrograms.map((s) => s.start),
      usesTailCall: built.usesTailCall,
      timings: { buildMs: t1 - t0, optimizeMs: t2 - t1, emitMs: t3 - t2, v8CompileMs: t4 - t3 },
    };
  } finally {
    m.dispose();
  }
}
