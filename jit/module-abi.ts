/**
 * The interface between a compiled program module and the JS that instantiates it.
 *
 * Imports (module "env"):
 *   memory          the arena: shared WebAssembly.Memory, memory32, maximum ≤ 65536 pages
 *   stack_top  i32  r10 of the outermost call frame on this CPU (arena-layout.ts stackTop(cpu))
 *   regs       i32  arena address of the helper register scratch: RegHalves (22 × u32 = 88 B) per call depth,
 *                   depth d at regs + d * 88, d = (stack_top - r10) / 512; the runtime's HelperImpl reads
 *                   its r1..r5 there and writes r0 there (a Uint32Array view on the same bytes)
 *                   the u32 at regs + MAX_CALL_DEPTH * 88 counts the frame's tail calls (reset per run)
 *   cpu        i32  the worker index (bpf_get_smp_processor_id)
 *   redirect   i32  this CPU's redirect state (arena-layout.ts cpuRegion + REDIRECT_STATE, RedirectState)
 *   helper(id i32, insn i32, fp i32, ctx i32) → i32
 *                   run helper `id` (called from slot `insn`, frame pointer `fp`, program ctx `ctx`) with its
 *                   registers in the scratch of fp's depth; returns 1 when the helper requested a tail call
 *   blind      i64  --harden only: the constant-blinding key; every immediate is emitted as (imm ^ key) ^ blind
 *                   (jit/harden.ts), the key kept in CompiledProgram.blindKey
 *   clock_now(id i32)
 *                   a live clock's time now for clock helper `id` (bpf_ktime_get_ns / boot_ns), as u64 halves at
 *                   regs + WALL_NS_OFFSET (jit/lower-helper-time.ts): no trampoline, no BigInt
 *   tail_call(fp i32, ctx i32) → i64
 *                   run the tail-call target the last helper named, on the same ctx and frame; its r0 is the
 *                   returning program's r0 (only imported when the program calls bpf_tail_call)
 *
 * Exports:
 *   run_batch(desc i32, n i32)   run the program once per descriptor desc + k*DESC_SIZE, k < n: clear the
 *                                redirect state, run, write the low 32 bits of r0 to Desc.ACTION and, for
 *                                XDP_REDIRECT, the recorded redirect (arena-layout.ts REDIRECT_TO_DESC; design.md §3)
 *   ctx (global i32)             the descriptor being run (after a trap: the frame that faulted); a tail-call
 *                                target's instance gets it set by JS before entry (instance.ts enterTail)
 *   run(r1 i64, r2 i64, ctx i32) → i64
 *                                one run with r1, r2 given and r10 = stack_top (the raw entry, design.md §3a)
 *   sub_<slot>(r1..r5 i64, r10 i64) → i64
 *                                every sub-program, for callbacks (bpf_loop) the runtime invokes
 */
import { TimeCell } from '../src/vm/clock.js';

export const REGS_SCRATCH_BYTES = 88;
export const MAX_CALL_DEPTH = 8;
/** Offset from `regs` of the u32 tail-call counter (MAX_TAIL_CALL_CNT is checked by the helper). */
export const TAIL_CALL_COUNT_OFFSET = MAX_CALL_DEPTH * REGS_SCRATCH_BYTES;
/** Offset from `regs` of the u64 clock_now writes (in the gap after the tail-call counter, 8-byte aligned). */
export const WALL_NS_OFFSET = TAIL_CALL_COUNT_OFFSET + 8;
/** Offset from `regs` of the CPU's time cell (src/vm/clock.ts TimeCell; jit/lower-helper-time.ts). */
export const TIME_CELL_OFFSET = TAIL_CALL_COUNT_OFFSET + 64;
/** Offset from `regs` of the check_mtu memo (jit/lower-helper-net.ts), past the time cell. */
export const MTU_MEMO_OFFSET = TIME_CELL_OFFSET + TimeCell.SIZE;
export const MtuMemo = { VALID: 0, IFINDEX: 4, MTU: 8, SIZE: 12 } as const;
export const subProgramExport = (slot: number): string => `sub_${slot}`;

/** Helper ids the JIT gives special treatment (uapi `enum bpf_func_id`). */
export const HelperId = { MAP_LOOKUP_ELEM: 1, GET_SMP_PROCESSOR_ID: 8, TAIL_CALL: 12 } as const;
