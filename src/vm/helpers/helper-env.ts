/**
 * What helper implementations need from the runtime, and the register conventions they share: arguments
 * in r1..r5, the result in r0, both as 32-bit halves (exec-types.ts RegHalves).
 */
import type { Arena } from '../arena.js';
import type { Clock } from '../clock.js';
import type { BpfMap } from '../maps/bpf-map.js';
import type { ExecProgram, HelperCall } from '../exec-types.js';
import type { VirtualFib } from './virtual-fib.js';

/** Something a program emitted (design.md §6 /v1/events: trace, ringbuf, perf). */
export type RuntimeEvent =
  | { readonly type: 'trace'; readonly cpu: number; readonly text: string }
  | { readonly type: 'ringbuf' | 'perf'; readonly cpu: number; readonly map: string; readonly data: Uint8Array };

export interface HelperEnv {
  readonly arena: Arena;
  readonly clock: Clock;
  /** The map whose header is at `addr`, undefined when `addr` is not a map of this runtime. */
  mapAt(addr: number): BpfMap | undefined;
  /**
   * Checked mode: throws RuntimeFault when a helper's memory argument [addr, addr+size) is not inside one
   * object the program may read (or write). A no-op when the program was verified.
   */
  checkMem(call: HelperCall, addr: number, size: number, write: boolean): void;
  /** A program of the loaded object by its runtime id (PROG_ARRAY values), undefined when there is none. */
  programById(id: number): ExecProgram | undefined;
  /** A fault raised by a helper, naming the running program and the call instruction. */
  fault(call: HelperCall, message: string): Error;
  /** The virtual FIB bpf_fib_lookup consults; absent: no routes, forwarding off (net.ts). */
  readonly fib?: VirtualFib;
  /** MTU of the virtual device `ifindex` (bpf_check_mtu), undefined when there is none. */
  deviceMtu(ifindex: number): number | undefined;
  /** Every map of the runtime (ring buffer records are found by address). */
  allMaps(): readonly BpfMap[];
  /** bpf_trace_printk text, ring buffer and perf records. */
  emit(event: RuntimeEvent): void;
}

/** Low 32 bits of argument `n` (1..5) as an unsigned number: a pointer or a u32. */
export const argU32 = (c: HelperCall, n: number): number => c.regs[2 * n]!;
/** Low 32 bits of argument `n` as a signed int (the kernel's `int offset` parameters). */
export const argS32 = (c: HelperCall, n: number): number => c.regs[2 * n]! | 0;
/** The full 64-bit argument `n`. */
export const argU64 = (c: HelperCall, n: number): bigint =>
  (BigInt(c.regs[2 * n + 1]!) << 32n) | BigInt(c.regs[2 * n]!);
/** True when the upper half of argument `n` is non-zero (a u64 that does not fit in 32 bits). */
export const argHighSet = (c: HelperCall, n: number): boolean => c.regs[2 * n + 1] !== 0;

/** r0 = a signed 32-bit (or smaller) result, sign-extended to 64 bits as the kernel's `long` return. */
export function retS32(c: HelperCall, v: number): void {
  c.regs[0] = v >>> 0;
  c.regs[1] = v < 0 ? 0xffffffff : 0;
}

/**
 * r0 = an unsigned 32-bit result (an arena address, a u32), zero-extended: the halves are written directly,
 * since a BigInt round trip per call (~120 ns) dominated JIT programs whose helpers run here.
 */
export function retU32(c: HelperCall, v: number): void {
  c.regs[0] = v >>> 0;
  c.regs[1] = 0;
}

/** r0 = an unsigned 64-bit result. */
export function retU64(c: HelperCall, v: bigint): void {
  c.regs[0] = Number(v & 0xffffffffn);
  c.regs[1] = Number((v >> 32n) & 0xffffffffn);
}
