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
 * → -EINVAL; family not AF_INET/AF_INET6 → -EAFNOSUPPORT; otherwise, as on a host with forwarding off (the
 * default sysctl), BPF_FIB_LKUP_RET_FWD_DISABLED (5), or with BPF_FIB_LOOKUP_OUTPUT (no forwarding check) no
 * route: BPF_FIB_LKUP_RET_NOT_FWDED (4).
 */
import { Desc } from '../arena-layout.js';
import type { HelperImpl } from '../exec-types.js';
import { Errno } from '../maps/errno.js';
import { type HelperEnv, argS32, argU32, argU64, retS32 } from './helper-env.js';
import { ETH_HLEN, XdpBuff } from './xdp-buff.js';

const ENODEV = 19;
const EAFNOSUPPORT = 97;
const BPF_MTU_CHK_RET_FRAG_NEEDED = 1;
const FIB_LOOKUP_SIZE = 64;
/** BPF_FIB_LOOKUP_DIRECT | OUTPUT | SKIP_NEIGH | TBID | SRC | MARK. */
const FIB_FLAGS = 0x3fn;
const AF_INET = 2;
const AF_INET6 = 10;
const BPF_FIB_LKUP_RET_NOT_FWDED = 4;
const BPF_FIB_LKUP_RET_FWD_DISABLED = 5;
const BPF_FIB_LOOKUP_OUTPUT = 2n;

export function netHelpers(env: HelperEnv): ReadonlyMap<number, HelperImpl> {
  return new Map<number, HelperImpl>([
    [163, (c) => {
      const x = new XdpBuff(env.arena, c.ctx);
      const mtuLen = argU32(c, 3);
      env.checkMem(c, mtuLen, 4, true);
      if (argU64(c, 5) !== 0n) return retS32(c, -Errno.EINVAL);
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
      const flags = argU64(c, 4);
      if ((flags & ~FIB_FLAGS) !== 0n) return retS32(c, -Errno.EINVAL);
      const family = env.arena.u8[params]!;
      if (family !== AF_INET && family !== AF_INET6) return retS32(c, -EAFNOSUPPORT);
      retS32(c, (flags & BPF_FIB_LOOKUP_OUTPUT) !== 0n ? BPF_FIB_LKUP_RET_NOT_FWDED : BPF_FIB_LKUP_RET_FWD_DISABLED);
    }],
  ]);
}
