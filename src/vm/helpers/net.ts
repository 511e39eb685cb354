/**
 * Helpers that ask the host's network stack: bpf_check_mtu (163) and bpf_fib_lookup (69). xdpjit has no host
 * stack behind its interfaces, so both answer from the runtime's virtual devices (HelperEnv.deviceMtu) and an
 * empty FIB; the kernel's answers depend on the host and are not compared (design.md §4b).
 *
 * bpf_xdp_check_mtu(ctx, ifindex, *mtu_len, len_diff, flags) (net/core/filter.c): flags → -EINVAL; ifindex
 * 0 is the receiving device; unknown device → -ENODEV; length = *mtu_len ? *mtu_len + ETH_HLEN : linear
 * length, plus len_diff; above MTU + ETH_HLEN → BPF_MTU_CHK_RET_FRAG_NEEDED (1), else 0; *mtu_len = MTU.
 *
 * bpf_fib_lookup(ctx, params, plen, flags): plen < sizeof(struct bpf_fib_lookup) (64) → -EINVAL; unknown flags
 * → -EINVAL; family not AF_INET/AF_INET6 → -EAFNOSUPPORT. Without a virtual FIB (the default of
 * `xdpjit run`), as on a host with forwarding off (the default sysctl), BPF_FIB_LKUP_RET_FWD_DISABLED (5), or
 * with BPF_FIB_LOOKUP_OUTPUT (no forwarding check) no route: BPF_FIB_LKUP_RET_NOT_FWDED (4).
 * With one (HelperEnv.fib, virtual-fib.ts), in the kernel's order (bpf_ipv4_fib_lookup / bpf_ipv6_fib_lookup):
 * params->ifindex not a device → -ENODEV; forwarding off on it → FWD_DISABLED; table (main, or params->tbid
 * with BPF_FIB_LOOKUP_DIRECT | TBID) → longest-prefix route: none → NOT_FWDED, blackhole / unreachable /
 * prohibit → BLACKHOLE / UNREACHABLE / PROHIBIT; params->ifindex = the route's device, rt_metric 0;
 * BPF_FIB_LOOKUP_SRC fills the source from the route or device (none → NO_SRC_ADDR); tot_len above the
 * route's (else the device's) MTU → mtu_result = MTU, FRAG_NEEDED; a gateway replaces the destination;
 * BPF_FIB_LOOKUP_SKIP_NEIGH skips the neighbour, else no neighbour for it on the device → NO_NEIGH, found →
 * dmac; then smac = device MAC, mtu_result = MTU, SUCCESS (0).
 */
import { Desc } from '../arena-layout.js';
import type { HelperImpl } from '../exec-types.js';
import { Errno } from '../maps/errno.js';
import { type HelperEnv, argHighSet, argS32, argU32, retS32 } from './helper-env.js';
import { ETH_HLEN, XdpBuff } from './xdp-buff.js';
import { FibRet, RT_TABLE_MAIN, type VirtualFib } from './virtual-fib.js';

const ENODEV = 19;
const EAFNOSUPPORT = 97;
const BPF_MTU_CHK_RET_FRAG_NEEDED = 1;
const FIB_LOOKUP_SIZE = 64;
/** BPF_FIB_LOOKUP_DIRECT | OUTPUT | SKIP_NEIGH | TBID | SRC | MARK. */
const FIB_FLAGS = 0x3f;
const AF_INET = 2;
const AF_INET6 = 10;
const BPF_FIB_LKUP_RET_NOT_FWDED = 4;
const BPF_FIB_LKUP_RET_FWD_DISABLED = 5;
const BPF_FIB_LOOKUP_DIRECT = 1;
const BPF_FIB_LOOKUP_OUTPUT = 2;
const BPF_FIB_LOOKUP_SKIP_NEIGH = 4;
const BPF_FIB_LOOKUP_TBID = 8;
const BPF_FIB_LOOKUP_SRC = 16;

/** struct bpf_fib_lookup (uapi/linux/bpf.h) field offsets. */
const Fib = {
  FAMILY: 0, TOT_LEN: 6 /* union with mtu_result */, IFINDEX: 8, RT_METRIC: 12, SRC: 16, DST: 32, TBID: 48,
  SMAC: 52, DMAC: 58,
} as const;

/** bpf_fib_lookup against a configured virtual FIB: the BPF_FIB_LKUP_RET_* code or a negative errno. */
function fibLookup(fib: VirtualFib, u8: Uint8Array, params: number, flags: number): number {
  const dv = new DataView(u8.buffer, u8.byteOffset);
  const v6 = u8[params + Fib.FAMILY] === AF_INET6;
  const alen = v6 ? 16 : 4;
  const dev = fib.devices.get(dv.getUint32(params + Fib.IFINDEX, true));
  if (!dev) return -ENODEV;
  if (!dev.forwarding) return FibRet.FWD_DISABLED;
  const table = (flags & BPF_FIB_LOOKUP_DIRECT) !== 0 && (flags & BPF_FIB_LOOKUP_TBID) !== 0
    ? dv.getUint32(params + Fib.TBID, true) : RT_TABLE_MAIN;
  const route = fib.route(u8.slice(params + Fib.DST, params + Fib.DST + alen), table);
  if (!route) return FibRet.NOT_FWDED;
  switch (route.type) {
    case 'blackhole': return FibRet.BLACKHOLE;
    case 'unreachable': return FibRet.UNREACHABLE;
    case 'prohibit': return FibRet.PROHIBIT;
    case 'unicast': break;
  }
  const out = fib.devices.get(route.ifindex)!;
  dv.setUint32(params + Fib.IFINDEX, out.ifindex, true);
  dv.setUint32(params + Fib.RT_METRIC, 0, true);
  if ((flags & BPF_FIB_LOOKUP_SRC) !== 0) {
    const src = route.src ?? (v6 ? out.ipv6 : out.ipv4);
    if (!src || src.length !== alen) return FibRet.NO_SRC_ADDR;
    u8.set(src, params + Fib.SRC);
  }
  const mtu = route.mtu ?? out.mtu;
  if (dv.getUint16(params + Fib.TOT_LEN, true) > mtu) {
    dv.setUint16(params + Fib.TOT_LEN, mtu, true);
    return FibRet.FRAG_NEEDED;
  }
  if (route.gateway && route.gateway.length === alen) u8.set(route.gateway, params + Fib.DST);
  if ((flags & BPF_FIB_LOOKUP_SKIP_NEIGH) === 0) {
    const neigh = fib.neighbour(u8.slice(params + Fib.DST, params + Fib.DST + alen), out.ifindex);
    if (!neigh) return FibRet.NO_NEIGH;
    u8.set(neigh.mac, params + Fib.DMAC);
  }
  u8.set(out.mac, params + Fib.SMAC);
  dv.setUint16(params + Fib.TOT_LEN, Math.min(mtu, 0xffff), true);
  return FibRet.SUCCESS;
}

export function netHelpers(env: HelperEnv): ReadonlyMap<number, HelperImpl> {
  return new Map<number, HelperImpl>([
    [163, (c) => {
      const x = new XdpBuff(env.arena, c.ctx);
      const mtuLen = argU32(c, 3);
      env.checkMem(c, mtuLen, 4, true);
      if (argU32(c, 5) !== 0 || argHighSet(c, 5)) return retS32(c, -Errno.EINVAL);
      const requested = argU32(c, 2);
      const ifindex = requested === 0 ? env.arena.u32[(c.ctx + Desc.INGRESS_IFINDEX) >>> 2]! : requested;
      const mtu = env.deviceMtu(ifindex);
      if (mtu === undefined) return retS32(c, -ENODEV);
      const given = env.arena.u32[mtuLen >>> 2]!;
      const len = (given !== 0 ? given + ETH_HLEN : x.dataEnd - x.data) + argS32(c, 4);
      env.arena.u32[mtuLen >>> 2] = mtu;
      retS32(c, len > mtu + ETH_HLEN ? BPF_MTU_CHK_RET_FRAG_NEEDED : 0);
    }],
    [69, (c) => {
      const params = argU32(c, 2);
      const plen = argU32(c, 3);
      if (plen < FIB_LOOKUP_SIZE) return retS32(c, -Errno.EINVAL);
      env.checkMem(c, params, FIB_LOOKUP_SIZE, true);
      // Flags as a number: every valid one is in the low half (no BigInt per call on the hot path).
      const flags = argU32(c, 4);
      if (argHighSet(c, 4) || (flags & ~FIB_FLAGS) !== 0) return retS32(c, -Errno.EINVAL);
      const family = env.arena.u8[params]!;
      if (family !== AF_INET && family !== AF_INET6) return retS32(c, -EAFNOSUPPORT);
      if (env.fib) return retS32(c, fibLookup(env.fib, env.arena.u8, params, flags));
      retS32(c, (flags & BPF_FIB_LOOKUP_OUTPUT) !== 0 ? BPF_FIB_LKUP_RET_NOT_FWDED : BPF_FIB_LKUP_RET_FWD_DISABLED);
    }],
  ]);
}
