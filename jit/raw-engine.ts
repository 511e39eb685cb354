/**
 * The JIT behind the conformance runner's raw entry (design.md §3a): r1 = the vector's memory (copied into
 * an arena laid out as arena-layout.ts describes), r2 = its length, r10 = the top of CPU 0's 512-byte
 * frame; helper 5 returns (bpf_conformance's "unwind" helper only stops the program for r1 == 0, which
 * no vector passes); no verifier.
 */
import type { Insn } from '../src/ebpf/insn.js';
import type { HelperImpl } from '../src/vm/exec-types.js';
import { HEAP_BASE } from '../src/vm/arena-layout.js';
import { compileProgram, type JitOptions } from './compile.js';
import { JitInstance } from './instance.js';
import { Wasm } from './wasm-api.js';

/** Mirrors src/vm/raw-entry.ts's RawEngine (structurally). */
export interface RawEngine {
  readonly name: string;
  runRaw(insns: readonly Insn[], mem: Uint8Array): Promise<bigint> | bigint;
}

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

  constructor(private readonly options: JitOptions = {}) {}

  runRaw(insns: readonly Insn[], mem: Uint8Array): bigint {
    const needed = Math.ceil((HEAP_BASE + mem.length + 8) / WASM_PAGE);
    const have = this.memory.buffer.byteLength / WASM_PAGE;
    if (needed > have) this.memory.grow(needed - have);
    const bytes = new Uint8Array(this.memory.buffer);
    bytes.fill(0, 0, HEAP_BASE + mem.length + 8);
    bytes.set(mem, HEAP_BASE);
    const compiled = compileProgram({ name: 'conformance', insns, funcs: [] }, this.options);
    const instance = new JitInstance(compiled, {
      memory: this.memory,
      cpu: 0,
      helpers: (id) => (id === CONFORMANCE_UNWIND_HELPER ? unwind : undefined),
    });
    const r0 = instance.run(BigInt(HEAP_BASE), BigInt(mem.length));
    mem.set(bytes.subarray(HEAP_BASE, HEAP_BASE + mem.length));
    return r0;
  }
}

export async function createJitRawEngine(options: JitOptions = {}): Promise<RawEngine> {
  return new JitRawEngine(options);
}
