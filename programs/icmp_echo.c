/* ICMP / ICMPv6 echo responder: turns an echo request into the reply in place and bounces it (XDP_TX).
 * IPv4: swap MACs and addresses, type 8 → 0, checksum fixed with bpf_csum_diff over the changed word.
 * IPv6: type 128 → 129, checksum fixed incrementally (RFC 1624 eqn. 3); swapping the addresses leaves
 * the pseudo-header sum unchanged. Anything else → PASS. */
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} replies SEC(".maps");

static __always_inline __u16 csum_fold(__u32 csum)
{
	csum = (csum & 0xffff) + (csum >> 16);
	csum = (csum & 0xffff) + (csum >> 16);
	return ~csum;
}

static __always_inline void swap_macs(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];
	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

static __always_inline void count_reply(__u32 idx)
{
	__u64 *n = bpf_map_lookup_elem(&replies, &idx);
	if (n)
		__sync_fetch_and_add(n, 1);
}

SEC("xdp")
int icmp_echo(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;

	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	if (eth_proto < 0)
		return XDP_PASS;
	int proto = parse_l3(&c, eth_proto, &ip, &ip6);

	if (proto == IPPROTO_ICMP && ip) {
		struct icmphdr *icmp = c.pos;
		if ((void *)(icmp + 1) > c.end)
			return XDP_PASS;
		if (icmp->type != ICMP_ECHO || icmp->code != 0)
			return XDP_PASS;
		/* bpf_csum_diff works on 4-byte multiples: diff the type/code word padded with zeros. */
		__u32 old_word = *(__u16 *)icmp;
		icmp->type = ICMP_ECHOREPLY;
		__u32 new_word = *(__u16 *)icmp;
		__s64 sum = bpf_csum_diff(&old_word, 4, &new_word, 4, (__u16)~icmp->checksum);
		icmp->checksum = csum_fold((__u32)sum);
		__be32 addr = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = addr;
		swap_macs(eth);
		count_reply(0);
		return XDP_TX;
	}

	if (proto == IPPROTO_ICMPV6 && ip6) {
		struct icmp6hdr *icmp6 = c.pos;
		if ((void *)(icmp6 + 1) > c.end)
			return XDP_PASS;
		if (icmp6->icmp6_type != ICMPV6_ECHO_REQUEST || icmp6->icmp6_code != 0)
			return XDP_PASS;
		/* RFC 1624: HC' = ~(~HC + ~m + m') on the 16-bit word holding type and code. */
		__u16 old_word = *(__u16 *)icmp6;
		icmp6->icmp6_type = ICMPV6_ECHO_REPLY;
		__u16 new_word = *(__u16 *)icmp6;
		__u32 sum = (__u16)~icmp6->icmp6_cksum;
		sum += (__u16)~old_word;
		sum += new_word;
		icmp6->icmp6_cksum = csum_fold(sum);
		struct in6_addr addr = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = addr;
		swap_macs(eth);
		count_reply(1);
		return XDP_TX;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
