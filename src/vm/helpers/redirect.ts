/**
 * bpf_redirect (23) for XDP (net/core/filter.c bpf_xdp_redirect): any flag → XDP_ABORTED; otherwise the
 * target ifindex is recorded in the CPU's redirect state and the helper returns XDP_REDIRECT, which the
 * program normally returns in turn.
 *
 * bpf_redirect_map (51) (__bpf_xdp_redirect_map): flags outside the action bits (the low 2: the return value
 * when the slot is empty) and, for device maps, BPF_F_BROADCAST / BPF_F_EXCLUDE_INGRESS → XDP_ABORTED; an
 * empty slot clears the redirect state and returns the flags' action; a DEVMAP/DEVMAP_HASH slot redirects to
 * its ifindex, a CPUMAP slot to that CPU, an XSKMAP slot to that socket slot. As the kernel's
 * bpf_redirect_info, the state keeps the map, the value the lookup found (tgt_value, also under
 * BPF_F_BROADCAST) and, only with BPF_F_BROADCAST, the flags (ri->flags, else 0): delivery reads them
 * (src/dataplane/devmap-delivery.ts).
 */
import { BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, RedirectKind, RedirectState, REDIRECT_STATE, cpuRegion } from '../arena-layout.js';
import type { HelperImpl } from '../exec-types.js';
import { XdpAction } from '../../ebpf/opcodes.js';
import { MapType } from '../../ebpf/object-spec.js';
import { type HelperEnv, argHighSet, argU32, argU64, retS32 } from './helper-env.js';
import { mapArg } from './map-helpers.js';

const ACTION_MASK = 3n;
const BROADCAST = BigInt(BPF_F_BROADCAST);
const DEVICE_FLAGS = BROADCAST | BigInt(BPF_F_EXCLUDE_INGRESS);
const REDIRECT_KIND_OF: ReadonlyMap<number, number> = new Map([
  [MapType.DEVMAP, RedirectKind.IFINDEX], [MapType.DEVMAP_HASH, RedirectKind.IFINDEX],
  [MapType.CPUMAP, RedirectKind.CPU], [MapType.XSKMAP, RedirectKind.XSK],
]);

/** Record a redirect for `cpu` (bpf_redirect, bpf_redirect_map): every RedirectState field. */
export function setRedirect(env: HelperEnv, cpu: number, kind: number, target: number, map: number, value = 0, flags = 0): void {
  const base = cpuRegion(cpu) + REDIRECT_STATE;
  const u32 = env.arena.u32;
  u32[(base + RedirectState.KIND) >>> 2] = kind;
  u32[(base + RedirectState.TARGET) >>> 2] = target >>> 0;
  u32[(base + RedirectState.MAP) >>> 2] = map;
  u32[(base + RedirectState.VALUE) >>> 2] = value;
  u32[(base + RedirectState.FLAGS) >>> 2] = flags >>> 0;
}

export function redirectHelpers(env: HelperEnv): ReadonlyMap<number, HelperImpl> {
  return new Map<number, HelperImpl>([
    [23, (c) => {
      if (argU32(c, 2) !== 0 || argHighSet(c, 2)) return retS32(c, XdpAction.ABORTED);
      setRedirect(env, c.cpu, RedirectKind.IFINDEX, argU32(c, 1), 0);
      retS32(c, XdpAction.REDIRECT);
    }],
    [51, (c) => {
      const map = mapArg(env, c, 1, 'bpf_redirect_map');
      const kind = REDIRECT_KIND_OF.get(map.params.type);
      if (kind === undefined) throw env.fault(c, `bpf_redirect_map: map '${map.name}' is not a DEVMAP, DEVMAP_HASH, CPUMAP or XSKMAP`);
      const index = argU32(c, 2);
      const flags = argU64(c, 3);
      const allowed = ACTION_MASK | (kind === RedirectKind.IFINDEX ? DEVICE_FLAGS : 0n);
      if ((flags & ~allowed) !== 0n) return retS32(c, XdpAction.ABORTED);
      const value = map.lookup(Uint8Array.of(index & 0xff, (index >>> 8) & 0xff, (index >>> 16) & 0xff, index >>> 24), c.cpu);
      if (flags & BROADCAST) {
        setRedirect(env, c.cpu, RedirectKind.BROADCAST, 0, map.addr, value, Number(flags));
        return retS32(c, XdpAction.REDIRECT);
      }
      if (value === 0) {
        setRedirect(env, c.cpu, RedirectKind.NONE, 0, 0);
        return retS32(c, Number(flags & ACTION_MASK));
      }
      setRedirect(env, c.cpu, kind, kind === RedirectKind.IFINDEX ? env.arena.u32[value >>> 2]! : index, map.addr, value);
      retS32(c, XdpAction.REDIRECT);
    }],
  ]);
}
