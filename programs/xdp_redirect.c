/* bpf_redirect to a fixed ifindex (.rodata `target_ifindex`, default 1 = lo) for UDP frames; TCP passes;
 * anything else is dropped. */
#include "parse.h"

const volatile __u32 target_ifindex = 1;

SEC("xdp")
int xdp_redirect(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;

	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	if (eth_proto < 0)
		return XDP_DROP;
	int proto = parse_l3(&c, eth_proto, &ip, &ip6);
	if (proto == IPPROTO_UDP)
		return bpf_redirect(target_ifindex, 0);
	if (proto == IPPROTO_TCP)
		return XDP_PASS;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
