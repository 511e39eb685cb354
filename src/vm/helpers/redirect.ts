/**
 * bpf_redirect (23) for XDP (net/core/filter.c bpf_xdp_redirect): any flag → XDP_ABORTED; otherwise the
 * target ifindex is recorded in the CPU's redirect state and the helper returns XDP_REDIRECT, which the
 * program normally returns in turn.
 */
import { RedirectKind, RedirectState, REDIRECT_STATE, cpuRegion } from '../arena-layout.js';
import type { HelperImpl } from '../exec-types.js';
import { XdpAction } from '../../ebpf/opcodes.js';
import { type HelperEnv, argHighSet, argU32, retS32 } from './helper-env.js';

/** Record a redirect target for `cpu` (also used by bpf_redirect_map). */
export function setRedirect(env: HelperEnv, cpu: number, kind: number, target: number, map: number): void {
  const base = cpuRegion(cpu) + REDIRECT_STATE;
  const u32 = env.arena.u32;
  u32[(base + RedirectState.KIND) >>> 2] = kind;
  u32[(base + RedirectState.TARGET) >>> 2] = target >>> 0;
  u32[(base + RedirectState.MAP) >>> 2] = map;
}

export function redirectHelpers(env: HelperEnv): ReadonlyMap<number, HelperImpl> {
  return new Map<number, HelperImpl>([
    [23, (c) => {
      if (argU32(c, 2) !== 0 || argHighSet(c, 2)) return retS32(c, XdpAction.ABORTED);
      setRedirect(env, c.cpu, RedirectKind.IFINDEX, argU32(c, 1), 0);
      retS32(c, XdpAction.REDIRECT);
    }],
  ]);
}
