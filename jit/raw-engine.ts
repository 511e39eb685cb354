/**
 * The JIT behind the conformance runner's raw entry (design.md §3a), on the interpreter's raw layout
 * (src/vm/raw-entry.ts: NULL guard, an 8-frame stack with r10 = RAW_STACK_TOP, the memory at RAW_MEM_BASE),
 * so both engines see the same addresses: r1 = the memory, r2 = its length; the helper register scratch
 * follows the memory. Helper 5 returns (bpf_conformance's "unwind" helper only stops the program for
 * r1 == 0, which no vector passes); no verifier.
 */
import type { Insn } from '../src/ebpf/insn.js';
import type { HelperImpl } from '../src/vm/exec-types.js';
import type { RawEngine } from '../src/vm/raw-entry.js';
import { RAW_MEM_BASE, RAW_STACK_TOP } from '../src/vm/raw-entry.js';
import { MAX_CALL_DEPTH, REGS_SCRATCH_BYTES } from './module-abi.js';
import type { JitOptions } from './compile.js';
import { CompiledModuleCache } from './module-cache.js';
import { JitInstance } from './instance.js';
import { Wasm } from './wasm-api.js';

const WASM_PAGE = 65536;
const CONFORMANCE_UNWIND_HELPER = 5;

/** r0 is left as it was; bpf_conformance's plugin returns r1, which no vector reads. */
const unwind: HelperImpl = (call) => {
  call.regs[0] = call.regs[2]!;
  call.regs[1] = call.regs[3]!;
};

export class JitRawEngine implements RawEngine {
  readonly name = 'jit';
  private memory = new Wasm.Memory({ initial: 1, maximum: 65536, shared: true });
  /** Runs of the same program on several inputs compile it once. */
  private readonly cache = new CompiledModuleCache(16);

  constructor(private readonly options: Pick<JitOptions, 'optimizeLevel' | 'promoteStack'> = {}) {}

  runRaw(insns: readonly Insn[], mem: Uint8Array): bigint {
    const regs = RAW_MEM_BASE + Math.ceil(mem.length / 8) * 8;
    const end = regs + (MAX_CALL_DEPTH + 1) * REGS_SCRATCH_BYTES;
    const needed = Math.ceil(end / WASM_PAGE);
    const have = this.memory.buffer.byteLength / WASM_PAGE;
    if (needed > have) this.memory.grow(needed - have);
    const bytes = new Uint8Array(this.memory.buffer);
    bytes.fill(0, 0, end);
    bytes.set(mem, RAW_MEM_BASE);
    const compiled = this.cache.getOrCompile({ name: 'raw', insns, funcs: [] }, {
      ...(this.options.optimizeLevel !== undefined ? { optimizeLevel: this.options.optimizeLevel } : {}),
      ...(this.options.promoteStack !== undefined ? { promoteStack: this.options.promoteStack } : {}),
    });
    const instance = new JitInstance(compiled, {
      memory: this.memory,
      cpu: 0,
      stackTop: RAW_STACK_TOP,
      regs,
      helpers: (id) => (id === CONFORMANCE_UNWIND_HELPER ? unwind : undefined),
    });
    const r0 = instance.run(BigInt(RAW_MEM_BASE), BigInt(mem.length));
    mem.set(bytes.subarray(RAW_MEM_BASE, RAW_MEM_BASE + mem.length));
    return r0;
  }
}

export async function createJitRawEngine(options: Pick<JitOptions, 'optimizeLevel' | 'promoteStack'> = {}): Promise<RawEngine> {
  return new JitRawEngine(options);
}
