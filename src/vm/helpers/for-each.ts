/**
 * bpf_for_each_map_elem (164) (kernel/bpf/bpf_iter.c + each map's map_for_each_callback): calls
 * callback(map, &key, &value, ctx) for each element until it returns 1; flags must be 0 (-EINVAL); returns
 * the number of callbacks made. The key is handed over in the CPU's helper scratch area (read-only to the
 * program, as the kernel's key is); the value pointer is the element's own (this CPU's slot for per-CPU maps).
 */
import { HELPER_SCRATCH, cpuRegion } from '../arena-layout.js';
import type { HelperImpl } from '../exec-types.js';
import { Errno } from '../maps/errno.js';
import { type HelperEnv, argU32, argU64, retS32 } from './helper-env.js';
import { mapArg } from './map-helpers.js';

export function forEachHelpers(env: HelperEnv): ReadonlyMap<number, HelperImpl> {
  return new Map<number, HelperImpl>([
    [164, (c) => {
      const map = mapArg(env, c, 1, 'bpf_for_each_map_elem');
      const fn = argU32(c, 2);
      const ctx = argU64(c, 3);
      if (argU64(c, 4) !== 0n) return retS32(c, -Errno.EINVAL);
      const keyAddr = cpuRegion(c.cpu) + HELPER_SCRATCH;
      let calls = 0;
      for (const key of map.keys()) {
        const value = map.lookup(key, c.cpu);
        if (value === 0) continue;
        env.arena.u8.set(key, keyAddr);
        calls++;
        if (c.callback(fn, [BigInt(map.addr), BigInt(keyAddr), BigInt(value), ctx]) !== 0n) break;
      }
      retS32(c, calls);
    }],
  ]);
}
