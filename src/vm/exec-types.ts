/**
 * The contract between the engines (reference interpreter, wasm JIT) and the runtime that owns maps and
 * helper semantics. Both engines call the same helper implementations through `HelperCall`; registers cross
 * the boundary as 32-bit halves so that neither side allocates a BigInt per call.
 */
import type { Insn } from '../ebpf/insn.js';
import type { FuncSpec, LineInfo } from '../ebpf/object-spec.js';

/**
 * r0..r10 as little-endian 32-bit halves: r[2*i] is the low word of register i, r[2*i+1] the high word.
 * A helper reads its arguments from r1..r5 and writes its result to r0 (both halves).
 */
export type RegHalves = Uint32Array;
export const REG_HALVES = 22;

/** An executable program image: instructions already bound to arena addresses (map pointers, global data). */
export interface ExecProgram {
  readonly name: string;
  /** LD_IMM64 src=1/2 immediates replaced by the arena address of the map header / value byte. */
  readonly insns: readonly Insn[];
  readonly funcs: readonly FuncSpec[];
  readonly lines: readonly LineInfo[];
}

/** What a helper implementation sees of the call in progress. */
export interface HelperCall {
  readonly regs: RegHalves;
  /** The worker index ("CPU") running this frame: bpf_get_smp_processor_id. */
  readonly cpu: number;
  /** Arena address of the frame descriptor (struct xdp_md) of the running program, 0 in the raw entry. */
  readonly ctx: number;
  /** Slot index of the call instruction (for error messages). */
  readonly insn: number;
  /**
   * Run a callback sub-program (bpf_loop, for_each_map_elem) of the *current* program, starting at slot
   * `funcInsn`, with r1..r5 = args, on a new call frame; returns its r0.
   */
  callback(funcInsn: number, args: readonly bigint[]): bigint;
  /**
   * bpf_tail_call: after this helper returns, the engine replaces the running program with `target`
   * (keeping r1 and the stack frame pointer, as the kernel does). The helper checks the 33-call limit
   * through `tailCallCount`.
   */
  tailCall(target: ExecProgram): void;
  readonly tailCallCount: number;
}

export type HelperImpl = (call: HelperCall) => void;

/** A run-time fault: an access outside its object in checked mode, an unknown helper, a division trap... */
export class RuntimeFault extends Error {
  constructor(message: string, readonly insn: number, readonly program: string) {
    super(`${program}: insn ${insn}: ${message}`);
    this.name = 'RuntimeFault';
  }
}

/**
 * Checked mode (design.md §3a): every load/store is checked against the object it belongs to before it
 * happens. Throws RuntimeFault naming the access and the nearest object.
 */
export interface AccessChecker {
  check(addr: number, size: number, write: boolean, insn: number): void;
}
