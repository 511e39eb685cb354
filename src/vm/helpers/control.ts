/**
 * bpf_tail_call (12) (kernel/bpf/core.c JMP_TAIL_CALL): an index past the PROG_ARRAY, an empty slot, or a
 * 34th chained call (MAX_TAIL_CALL_CNT = 33) falls through to the next instruction; otherwise the engine
 * replaces the running program after the helper returns.
 *
 * bpf_loop (181) and bpf_spin_lock / bpf_spin_unlock (93, 94), kernel/bpf/helpers.c + bpf_iter.c.
 *
 * bpf_loop(nr_loops, callback, ctx, flags): flags must be 0 and nr_loops ≤ 1 << 23 (BPF_MAX_LOOPS), else
 * -EINVAL/-E2BIG; calls callback(i, ctx) until it returns non-zero; returns the number of calls made.
 * bpf_spin_lock: the u32 lock word inside a map value, taken with compare-exchange so that CPUs on other
 * workers exclude each other exactly as the kernel's arch spin lock does.
 */
import type { HelperImpl } from '../exec-types.js';
import { Errno } from '../maps/errno.js';
import { MapType } from '../../ebpf/object-spec.js';
import { type HelperEnv, argHighSet, argU32, argU64, retS32 } from './helper-env.js';
import { mapArg } from './map-helpers.js';

const BPF_MAX_LOOPS = 1 << 23;
const MAX_TAIL_CALL_CNT = 33;

export function controlHelpers(env: HelperEnv): ReadonlyMap<number, HelperImpl> {
  return new Map<number, HelperImpl>([
    [12, (c) => {
      const map = mapArg(env, c, 2, 'bpf_tail_call');
      if (map.params.type !== MapType.PROG_ARRAY) throw env.fault(c, `bpf_tail_call: map '${map.name}' is not a PROG_ARRAY`);
      retS32(c, 0);
      const index = argU32(c, 3);
      const slot = map.lookup(Uint8Array.of(index & 0xff, (index >>> 8) & 0xff, (index >>> 16) & 0xff, index >>> 24), c.cpu);
      if (slot === 0 || c.tailCallCount >= MAX_TAIL_CALL_CNT) return;
      const target = env.programById(env.arena.u32[slot >>> 2]!);
      if (target) c.tailCall(target);
    }],
    [181, (c) => {
      const n = argU32(c, 1);
      const fn = argU32(c, 2);
      const ctx = argU64(c, 3);
      if (argU64(c, 4) !== 0n) return retS32(c, -Errno.EINVAL);
      if (argHighSet(c, 1) || n > BPF_MAX_LOOPS) return retS32(c, -Errno.E2BIG);
      let i = 0;
      while (i < n) {
        const r = c.callback(fn, [BigInt(i), ctx]);
        i++;
        if (r !== 0n) break;
      }
      retS32(c, i);
    }],
    [93, (c) => {
      const addr = argU32(c, 1);
      env.checkMem(c, addr, 4, true);
      const u32 = env.arena.u32;
      while (Atomics.compareExchange(u32, addr >>> 2, 0, 1) !== 0) { /* held by another CPU for a few insns */ }
      retS32(c, 0);
    }],
    [94, (c) => {
      const addr = argU32(c, 1);
      env.checkMem(c, addr, 4, true);
      Atomics.store(env.arena.u32, addr >>> 2, 0);
      retS32(c, 0);
    }],
  ]);
}
