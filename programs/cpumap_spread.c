/* Spreads IP frames over CPUs with a CPUMAP (bpf_redirect_map, slot = source address % 2, as an RSS
 * would); a slot without a queue falls back to XDP_PASS. Non-IP frames pass.
 *
 * cpu_count (SEC("xdp/cpumap"), run on the target CPU for each frame redirected to a slot whose
 * struct bpf_cpumap_val names it): counts the frame in its CPU's slot of cpu_seen, records
 * bpf_get_smp_processor_id() in cpu_last, drops UDP to the discard port (9) and passes the rest to the
 * stack of that CPU. */
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpu_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cpu_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cpu_last SEC(".maps");

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

SEC("xdp/cpumap")
int cpu_count(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	__u32 zero = 0;

	__u64 *seen = bpf_map_lookup_elem(&cpu_seen, &zero);
	if (seen)
		*seen += 1;
	__u32 *last = bpf_map_lookup_elem(&cpu_last, &zero);
	if (last)
		*last = bpf_get_smp_processor_id();

	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	if (eth_proto < 0)
		return XDP_DROP;
	int proto = parse_l3(&c, eth_proto, &ip, &ip6);
	if (proto == IPPROTO_UDP) {
		struct udphdr *udp = c.pos;
		if ((void *)(udp + 1) <= c.end && udp->dest == bpf_htons(9))
			return XDP_DROP;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
