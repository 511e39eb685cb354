/**
 * Receive-side scaling: the Toeplitz hash NICs compute over a frame's 5-tuple to pick an RX queue, with the
 * default 40-byte key from Microsoft's RSS specification (also what Linux's `ethtool -x` shows on most
 * drivers). Frames of one flow always land on one worker, so per-CPU maps behave as on a multi-queue NIC.
 * Non-IP frames hash to 0 (queue 0), as NICs do for traffic they cannot classify.
 */
const RSS_KEY = Uint8Array.from(
  '6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa'.match(/../g)!,
  (h) => parseInt(h, 16),
);

function toeplitz(input: Uint8Array, len: number): number {
  let result = 0;
  // The 32-bit window of the key starting at the current input bit.
  let window = ((RSS_KEY[0]! << 24) | (RSS_KEY[1]! << 16) | (RSS_KEY[2]! << 8) | RSS_KEY[3]!) >>> 0;
  for (let i = 0; i < len; i++) {
    const byte = input[i]!;
    const nextKeyByte = RSS_KEY[i + 4] ?? 0;
    for (let b = 7; b >= 0; b--) {
      if ((byte >> b) & 1) result = (result ^ window) >>> 0;
      window = ((window << 1) | ((nextKeyByte >> b) & 1)) >>> 0;
    }
  }
  return result;
}

const ETH_P_IP = 0x0800, ETH_P_IPV6 = 0x86dd, ETH_P_8021Q = 0x8100, ETH_P_8021AD = 0x88a8;
const IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_SCTP = 132;

/**
 * RSS hash of an Ethernet frame: src/dst address (+ src/dst port for TCP, UDP, SCTP when the packet is not a
 * non-first fragment), the tuple order of the Microsoft spec. Truncated or non-IP frames give 0.
 */
export function rssHash(frame: Uint8Array): number {
  const tuple = new Uint8Array(36);
  let off = 12;
  if (frame.length < 14) return 0;
  let proto = (frame[off]! << 8) | frame[off + 1]!;
  off += 2;
  while ((proto === ETH_P_8021Q || proto === ETH_P_8021AD) && frame.length >= off + 4) {
    proto = (frame[off + 2]! << 8) | frame[off + 3]!;
    off += 4;
  }
  let n = 0, l4: number, ipProto: number, fragmented = false;
  if (proto === ETH_P_IP) {
    if (frame.length < off + 20) return 0;
    const ihl = (frame[off]! & 0xf) * 4;
    ipProto = frame[off + 9]!;
    fragmented = (((frame[off + 6]! & 0x1f) << 8) | frame[off + 7]!) !== 0;
    tuple.set(frame.subarray(off + 12, off + 20), 0);
    n = 8;
    l4 = off + ihl;
  } else if (proto === ETH_P_IPV6) {
    if (frame.length < off + 40) return 0;
    ipProto = frame[off + 6]!;
    tuple.set(frame.subarray(off + 8, off + 40), 0);
    n = 32;
    l4 = off + 40;
  } else {
    return 0;
  }
  const ported = ipProto === IPPROTO_TCP || ipProto === IPPROTO_UDP || ipProto === IPPROTO_SCTP;
  if (ported && !fragmented && frame.length >= l4 + 4) {
    tuple.set(frame.subarray(l4, l4 + 4), n);
    n += 4;
  }
  return toeplitz(tuple, n);
}

/** The RX queue (worker) for a hash: the low bits index an indirection table spread evenly over CPUs. */
export const queueForHash = (hash: number, cpus: number): number => (hash & 0x7f) % cpus;
