/* Spreads IP frames over CPUs with a CPUMAP (bpf_redirect_map, slot = source address % 2, as an RSS
 * would); a slot without a queue falls back to XDP_PASS. Non-IP frames pass. */
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpu_map SEC(".maps");

SEC("xdp")
int cpumap_spread(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	__u32 cpu;

	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	if (eth_proto < 0)
		return XDP_DROP;
	if (parse_l3(&c, eth_proto, &ip, &ip6) < 0)
		return XDP_PASS;
	if (ip)
		cpu = bpf_ntohl(ip->saddr) % 2;
	else if (ip6)
		cpu = ip6->saddr.in6_u.u6_addr8[15] % 2;
	else
		return XDP_PASS;
	return bpf_redirect_map(&cpu_map, cpu, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
