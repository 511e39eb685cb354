/**
 * The raw entry point (design.md §3a) used by the ISA conformance vectors: no XDP context, no verifier.
 * A small shared arena holds the 64 KiB NULL guard, one 8-frame stack (r10 = its top, 512 bytes per frame)
 * and, above them, a copy of the vector's memory: r1 = its address, r2 = its length. Helper 5 exists and
 * returns 0 (bpf_conformance's "unwind" helper only stops a program when r1 == 0, which no vector passes).
 */
import type { Insn } from '../ebpf/insn.js';
import { NULL_GUARD, STACK_TOP } from './arena-layout.js';
import type { ExecProgram, HelperImpl } from './exec-types.js';
import { Interpreter, type InterpreterMemory } from './interpreter/interpreter.js';

/** An engine that can run a bare instruction sequence over a byte buffer; the JIT provides one too. */
export interface RawEngine {
  readonly name: string;
  /** Runs the program with r1 = a writable copy of `mem` (written back after the run); returns r0. */
  runRaw(insns: readonly Insn[], mem: Uint8Array): Promise<bigint> | bigint;
}

const WASM_PAGE = 65536;
/** r10 of the raw entry: the top of an 8-frame stack right above the NULL guard. */
export const RAW_STACK_TOP = NULL_GUARD + STACK_TOP;
/** Where the vector's memory is copied (r1). */
export const RAW_MEM_BASE = RAW_STACK_TOP;
export const CONFORMANCE_HELPER = 5;

const conformanceHelper: HelperImpl = (call) => {
  call.regs[0] = 0;
  call.regs[1] = 0;
};

const WasmMemory = (globalThis as unknown as {
  WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => InterpreterMemory };
}).WebAssembly.Memory;

/** A fresh shared arena big enough for the raw layout plus `memBytes`. */
export function rawArena(memBytes: number): InterpreterMemory {
  const pages = Math.ceil((RAW_MEM_BASE + memBytes) / WASM_PAGE);
  return new WasmMemory({ initial: pages, maximum: pages, shared: true });
}

export class InterpreterRawEngine implements RawEngine {
  readonly name = 'interp';

  runRaw(insns: readonly Insn[], mem: Uint8Array): bigint {
    const arena = rawArena(mem.length);
    const bytes = new Uint8Array(arena.buffer);
    bytes.set(mem, RAW_MEM_BASE);
    const prog: ExecProgram = { name: 'raw', insns, funcs: [], lines: [] };
    const interp = new Interpreter(arena, (id) => (id === CONFORMANCE_HELPER ? conformanceHelper : undefined));
    const r0 = interp.run(prog, { r1: RAW_MEM_BASE, r2: mem.length, ctx: 0, cpu: 0, stackTop: RAW_STACK_TOP });
    mem.set(bytes.subarray(RAW_MEM_BASE, RAW_MEM_BASE + mem.length));
    return r0;
  }
}
