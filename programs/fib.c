/* Forwarding via bpf_fib_lookup (the host's routing and neighbour tables): on success the MACs are
 * rewritten, the IPv4 TTL decremented with an incremental checksum fix (RFC 1624), and the frame
 * redirected to the egress ifindex; "not forwarded" / "no neighbour" results pass to the stack; a
 * blackhole / unreachable / prohibit route drops. The outcome depends on the host (design.md §4b). */
#include "parse.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} fib_results SEC(".maps");

SEC("xdp")
int fib(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	struct bpf_fib_lookup p = {};

	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	if (eth_proto < 0)
		return XDP_DROP;
	if (parse_l3(&c, eth_proto, &ip, &ip6) < 0)
		return XDP_PASS;
	if (ip) {
		if (ip->ttl <= 1)
			return XDP_PASS;
		p.family = AF_INET;
		p.tos = ip->tos;
		p.l4_protocol = ip->protocol;
		p.tot_len = bpf_ntohs(ip->tot_len);
		p.ipv4_src = ip->saddr;
		p.ipv4_dst = ip->daddr;
	} else if (ip6) {
		if (ip6->hop_limit <= 1)
			return XDP_PASS;
		p.family = AF_INET6;
		p.l4_protocol = ip6->nexthdr;
		p.tot_len = bpf_ntohs(ip6->payload_len);
		__builtin_memcpy(p.ipv6_src, &ip6->saddr, 16);
		__builtin_memcpy(p.ipv6_dst, &ip6->daddr, 16);
	} else {
		return XDP_PASS;
	}
	p.ifindex = ctx->ingress_ifindex;

	long rc = bpf_fib_lookup(ctx, &p, sizeof(p), 0);
	__u32 key = rc < 0 ? 15 : rc & 15;
	__u64 *n = bpf_map_lookup_elem(&fib_results, &key);
	if (n)
		__sync_fetch_and_add(n, 1);

	switch (rc) {
	case BPF_FIB_LKUP_RET_SUCCESS:
		break;
	case BPF_FIB_LKUP_RET_BLACKHOLE:
	case BPF_FIB_LKUP_RET_UNREACHABLE:
	case BPF_FIB_LKUP_RET_PROHIBIT:
		return XDP_DROP;
	default:
		return XDP_PASS;
	}
	if (ip) {
		/* TTL is the high byte of the TTL/protocol word: decrementing adds 0x0100 to the checksum. */
		__u32 sum = ip->check + bpf_htons(0x0100);
		ip->check = sum + (sum >= 0xffff);
		ip->ttl--;
	} else if (ip6) {
		ip6->hop_limit--;
	}
	__builtin_memcpy(eth->h_dest, p.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, p.smac, ETH_ALEN);
	return bpf_redirect(p.ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
