/**
 * Time, randomness and CPU identity: bpf_ktime_get_ns (5), bpf_get_prandom_u32 (7),
 * bpf_get_smp_processor_id (8), bpf_jiffies64 (118), bpf_ktime_get_boot_ns (125),
 * bpf_ktime_get_coarse_ns (160). Answers come from the runtime's Clock (clock.ts), so a replay on the
 * capture clock with a seed is reproducible.
 */
import type { HelperImpl } from '../exec-types.js';
import { type HelperEnv, retS32, retU64, retU32 } from './helper-env.js';

export function timeHelpers(env: HelperEnv): ReadonlyMap<number, HelperImpl> {
  const clock = env.clock;
  // r0's halves written straight from the clock where it can (a BigInt round trip cost ~100 ns per call).
  const monotonic: HelperImpl = clock.monotonicInto ? (c) => clock.monotonicInto!(c.regs, 0) : (c) => retU64(c, clock.monotonicNs());
  const boot: HelperImpl = clock.bootInto ? (c) => clock.bootInto!(c.regs, 0) : (c) => retU64(c, clock.bootNs());
  return new Map<number, HelperImpl>([
    [5, monotonic],
    [7, (c) => retU32(c, clock.prandomU32())],
    [8, (c) => retS32(c, c.cpu)],
    [118, (c) => retU64(c, clock.jiffies64())],
    [125, boot],
    [160, (c) => retU64(c, clock.coarseNs())],
  ]);
}
