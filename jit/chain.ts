/**
 * libxdp-style chains fused into one module (design.md §3): the programs known at attach time, in priority
 * order, called directly from one entry function, so a chain costs its programs and one wasm call per batch
 * rather than a JS round trip per stage. Semantics are libxdp's dispatcher (xdp-dispatcher.c): stage k's
 * action a continues to stage k + 1 when a < 32 and bit a of its chain_call_actions is set; otherwise a is
 * the chain's verdict (module-builder.ts buildChainModule).
 */
import { OP_LD_IMM64 } from '../src/ebpf/insn.js';
import { PseudoSrc } from '../src/ebpf/opcodes.js';
import { compileModule, type CompiledProgram, type JitOptions, type JitProgram } from './compile.js';
import { JitCompileError } from './errors.js';
import { buildChainModule } from './module-builder.js';

/** A program's `.xdp_run_config` (ObjectSpec.runConfigs: XdpRunConfig) or the attach request's values. */
export interface ChainConfig {
  readonly priority: number;
  readonly chainCallActions: number;
}

/** Programs sorted as libxdp runs them: ascending priority, ties in the given order. */
export function chainOrder<T extends { readonly config: ChainConfig }>(stages: readonly T[]): T[] {
  return stages.map((s, i) => ({ s, i })).sort((a, b) => a.s.config.priority - b.s.config.priority || a.i - b.i).map((x) => x.s);
}

/**
 * Compile `programs` (with `configs[k]` for programs[k]) into one module whose run / run_batch / tail_entry
 * run the chain in chainOrder. Callback sub-programs (bpf_loop, LD_IMM64 src=4) are refused: the runtime
 * resolves a callback by slot in one program's exports, which a fused module does not keep unprefixed.
 */
export function compileChain(programs: readonly JitProgram[], configs: readonly ChainConfig[], options: JitOptions = {}): CompiledProgram {
  if (programs.length === 0 || programs.length !== configs.length) {
    throw new JitCompileError(`a chain needs one config per program (${programs.length} programs, ${configs.length} configs)`, 'chain', 0);
  }
  const ordered = chainOrder(programs.map((program, k) => ({ program, config: configs[k]! })));
  for (const { program } of ordered) {
    const at = program.insns.findIndex((i) => i.code === OP_LD_IMM64 && i.src === PseudoSrc.FUNC);
    if (at >= 0) throw new JitCompileError('callback sub-programs are not supported in a fused chain', program.name, at);
  }
  const name = `chain(${ordered.map((s) => s.program.name).join(',')})`;
  return compileModule(name, options, (w, o) => buildChainModule(w, ordered.map(({ program, config }) => ({
    name: program.name, insns: program.insns, funcStarts: program.funcs.map((f) => f.insn), chainCallActions: config.chainCallActions,
  })), o));
}
