/**
 * bpf_map_lookup_elem (1), bpf_map_update_elem (2), bpf_map_delete_elem (3), bpf_map_lookup_percpu_elem (195),
 * bpf_map_push_elem (87), bpf_map_pop_elem (88), bpf_map_peek_elem (89) on QUEUE/STACK and BLOOM_FILTER
 * (kernel/bpf/helpers.c): a map pointer, a key pointer (key_size bytes), a value pointer (value_size bytes),
 * flags; results are a value address or NULL, or 0 / -errno.
 */
import type { HelperCall, HelperImpl } from '../exec-types.js';
import type { BpfMap } from '../maps/bpf-map.js';
import { BloomFilterMap } from '../maps/bloom-filter.js';
import { Errno } from '../maps/errno.js';
import { QueueStackMap } from '../maps/queue-stack.js';
import { type HelperEnv, argHighSet, argU32, retS32, retU32 } from './helper-env.js';

export function mapArg(env: HelperEnv, c: HelperCall, n: number, helper: string): BpfMap {
  const addr = argU32(c, n);
  const map = argHighSet(c, n) ? undefined : env.mapAt(addr);
  if (!map) throw env.fault(c, `${helper}: r${n} = 0x${addr.toString(16)} is not a map pointer`);
  return map;
}

function keyArg(env: HelperEnv, c: HelperCall, n: number, map: BpfMap): Uint8Array {
  const addr = argU32(c, n);
  env.checkMem(c, addr, map.params.keySize, false);
  return env.arena.u8.subarray(addr, addr + map.params.keySize);
}

function pushArg(env: HelperEnv, c: HelperCall, helper: string): QueueStackMap | BloomFilterMap {
  const map = mapArg(env, c, 1, helper);
  if (map instanceof BloomFilterMap) return map;
  return queueArg(env, c, helper);
}

function queueArg(env: HelperEnv, c: HelperCall, helper: string): QueueStackMap {
  const map = mapArg(env, c, 1, helper);
  if (!(map instanceof QueueStackMap)) throw env.fault(c, `${helper}: map '${map.name}' is not a QUEUE or STACK`);
  return map;
}

export function mapHelpers(env: HelperEnv): ReadonlyMap<number, HelperImpl> {
  const take = (c: HelperCall, helper: string, remove: boolean): void => {
    const maybeBloom = mapArg(env, c, 1, helper);
    if (maybeBloom instanceof BloomFilterMap) {
      // peek tests membership of the value the program passes; a bloom filter cannot pop.
      const v = argU32(c, 2);
      env.checkMem(c, v, maybeBloom.params.valueSize, false);
      return retS32(c, remove ? -Errno.EOPNOTSUPP : maybeBloom.peek(env.arena.u8.subarray(v, v + maybeBloom.params.valueSize)));
    }
    const map = queueArg(env, c, helper);
    const dst = argU32(c, 2);
    env.checkMem(c, dst, map.params.valueSize, true);
    retS32(c, map.take(dst, remove));
  };
  return new Map<number, HelperImpl>([
    [1, (c) => {
      const map = mapArg(env, c, 1, 'bpf_map_lookup_elem');
      retU32(c, map.lookup(keyArg(env, c, 2, map), c.cpu));
    }],
    [2, (c) => {
      const map = mapArg(env, c, 1, 'bpf_map_update_elem');
      const key = keyArg(env, c, 2, map);
      const vaddr = argU32(c, 3);
      env.checkMem(c, vaddr, map.params.valueSize, false);
      // flags is a u64: any bit above BPF_EXIST (including the upper half) is -EINVAL in the map.
      const flags = argHighSet(c, 4) ? 0xffffffff : argU32(c, 4);
      retS32(c, map.update(key, env.arena.u8.subarray(vaddr, vaddr + map.params.valueSize), flags, c.cpu));
    }],
    [3, (c) => {
      const map = mapArg(env, c, 1, 'bpf_map_delete_elem');
      retS32(c, map.delete(keyArg(env, c, 2, map)));
    }],
    [87, (c) => {
      const map = pushArg(env, c, 'bpf_map_push_elem');
      const v = argU32(c, 2);
      env.checkMem(c, v, map.params.valueSize, false);
      retS32(c, map.push(env.arena.u8.subarray(v, v + map.params.valueSize), argHighSet(c, 3) ? 0xffffffff : argU32(c, 3)));
    }],
    [88, (c) => take(c, 'bpf_map_pop_elem', true)],
    [89, (c) => take(c, 'bpf_map_peek_elem', false)],
    [195, (c) => {
      const map = mapArg(env, c, 1, 'bpf_map_lookup_percpu_elem');
      const key = keyArg(env, c, 2, map);
      const cpu = argU32(c, 3);
      // kernel: cpu >= nr_cpu_ids → NULL
      retU32(c, argHighSet(c, 3) || cpu >= map.ncpus ? 0 : map.lookup(key, cpu));
    }],
  ]);
}
