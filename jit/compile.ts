/**
 * eBPF program → compiled wasm module. Tier 1 (optimizeLevel 0) encodes wasm directly (wasm-emitter.ts)
 * and lets V8 compile it, for fast attach; higher levels build Binaryen IR and run Binaryen's default
 * pipeline at that -O level first (design.md §3 figures: -O3 pays mostly on large programs).
 */
import type { Insn } from '../src/ebpf/insn.js';
import { buildModule, type BuiltModule, type ModuleBuildOptions } from './module-builder.js';
import { BinaryenWriter } from './binaryen-writer.js';
import { WasmEmitter } from './wasm-emitter.js';
import { IrreducibleControlFlow } from './structurer.js';
import type { ModuleWriter } from './module-writer.js';
import { Wasm, type WasmModule } from './wasm-api.js';
import type { InlineHelper, ReadOnlyData } from './function-builder.js';
import type { HardenSpec } from './harden.js';
import type { TailCallLowering } from './tail-call-table.js';

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
  /**
   * 'direct': encode wasm directly with jit/structurer.ts's structuring (tier 1; an irreducible CFG falls
   * back to Binaryen's Relooper); 'binaryen': Binaryen IR + Relooper (+ -O passes). Default: direct at -O0.
   */
  readonly backend?: 'direct' | 'binaryen';
  /** Run Binaryen's validator on the generated IR before emitting (tests; costs a few ms). Default false. */
  readonly validate?: boolean;
  /** Keep non-escaping stack slots in locals (jit/stack-promotion.ts). Default true. */
  readonly promoteStack?: boolean;
  /** Helpers emitted inline (jit/inline-helpers.ts); default: every helper goes through the JS trampoline. */
  readonly inlineHelper?: InlineHelper;
  /** Frozen read-only data whose loads fold to constants (design.md §3: specialised on `.rodata`). */
  readonly readOnly?: readonly ReadOnlyData[];
  /** `--harden` (design.md §2, jit/harden.ts): address masking and constant blinding with this key. */
  readonly harden?: HardenSpec;
  /** bpf_tail_call through the wasm table where the PROG_ARRAY is known (jit/tail-call-table.ts; direct backend). */
  readonly tailCalls?: TailCallLowering;
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
  /** The backend that produced it. */
  readonly backend: 'direct' | 'binaryen';
  /** First slot of every sub-program (each exported as sub_<slot>). */
  readonly subPrograms: readonly number[];
  readonly usesTailCall: boolean;
  /** Imports the per-CPU program table `env.progs` (tail calls with return_call_indirect). */
  readonly usesProgTable: boolean;
  /** Hardened modules: the blinding key, imported as the i64 global `env.blind` (jit/harden.ts). */
  readonly blindKey?: bigint;
  readonly timings: CompileTimings;
}

export function compileProgram(program: JitProgram, options: JitOptions = {}): CompiledProgram {
  return compileModule(program.name, options, (w, o) => buildModule(w, program.name, program.insns, program.funcs.map((f) => f.insn), o));
}

/** Backend choice and timing around `build`, which describes the module into the writer (module-builder.ts). */
export function compileModule(name: string, options: JitOptions, build: (w: ModuleWriter, o: ModuleBuildOptions) => BuiltModule): CompiledProgram {
  const level = options.optimizeLevel ?? 0;
  const backend = options.backend ?? (level === 0 ? 'direct' : 'binaryen');
  if (backend === 'direct') {
    try {
      return compileWith(new WasmEmitter(), name, options, 'direct', build);
    } catch (e) {
      if (!(e instanceof IrreducibleControlFlow)) throw e;
    }
  }
  const writer = new BinaryenWriter({ optimizeLevel: level, validate: options.validate ?? false, program: name });
  return compileWith(writer, name, options, 'binaryen', build);
}

function compileWith(
  writer: ModuleWriter, name: string, options: JitOptions, backend: 'direct' | 'binaryen', build: (w: ModuleWriter, o: ModuleBuildOptions) => BuiltModule,
): CompiledProgram {
  const t0 = performance.now();
  let built;
  try {
    built = build(writer, {
      promoteStack: options.promoteStack ?? true,
      ...(options.inlineHelper ? { inlineHelper: options.inlineHelper } : {}),
      ...(options.readOnly ? { readOnly: options.readOnly } : {}),
      ...(options.harden ? { harden: options.harden } : {}),
      ...(options.tailCalls ? { tailCalls: options.tailCalls } : {}),
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
    name,
    wasm,
    module,
    backend,
    subPrograms: built.subPrograms.map((s) => s.start),
    usesTailCall: built.usesTailCall,
    usesProgTable: built.usesProgTable,
    ...(options.harden ? { blindKey: options.harden.key } : {}),
    timings: { buildMs: t1 - t0, optimizeAndEmitMs: t2 - t1, v8CompileMs: t3 - t2 },
  };
}
