/**
 * The runtime helpers lowered in wasm, one entry for jit/inline-helpers.ts's chain: clocks
 * (lower-helper-time.ts), bpf_spin_lock / unlock (lower-helper-lock.ts), ring buffer query / reserve
 * (lower-helper-ringbuf.ts), bpf_check_mtu (lower-helper-net.ts), bpf_perf_event_output's undelivered outcomes (lower-helper-perf.ts). Each returns r0's new value, or undefined to keep the trampoline.
 */
import type { Expr, LowerContext } from './lower-context.js';
import { lowerLockHelper } from './lower-helper-lock.js';
import { lowerNetHelper } from './lower-helper-net.js';
import { lowerPerfHelper } from './lower-helper-perf.js';
import { lowerRingbufHelper } from './lower-helper-ringbuf.js';
import { lowerTimeHelper } from './lower-helper-time.js';

export function lowerRuntimeHelper(ctx: LowerContext, helperId: number, at: number, u32: Uint32Array): Expr | undefined {
  return lowerTimeHelper(ctx, helperId, at) ?? lowerLockHelper(ctx, helperId, at) ?? lowerRingbufHelper(ctx, helperId, u32)
    ?? lowerNetHelper(ctx, helperId, at) ?? lowerPerfHelper(ctx, helperId, at, u32);
}
