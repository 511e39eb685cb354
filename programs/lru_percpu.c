/* Per-flow packet counts in an LRU_PERCPU_HASH (key: IPv4 src, dst, protocol, ports). A flow's first
 * 3 frames pass, later ones are dropped (a heavy-hitter cap); non-IPv4 passes. */
#include "parse.h"

struct flow_key {
	__u32 saddr;
	__u32 daddr;
	__u32 ports;
	__u32 proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 128);
	__type(key, struct flow_key);
	__type(value, __u64);
} flow_pkts SEC(".maps");

SEC("xdp")
int lru_percpu(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;

	cursor_init(&c, ctx);
	if (parse_eth(&c, &eth) != ETH_P_IP)
		return XDP_PASS;
	int proto = parse_ipv4(&c, &ip);
	if (proto < 0)
		return XDP_DROP;

	struct flow_key key = { .saddr = ip->saddr, .daddr = ip->daddr, .proto = proto };
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		__u32 *p = c.pos;
		if ((void *)(p + 1) <= c.end)
			key.ports = *p;
	}
	__u64 *n = bpf_map_lookup_elem(&flow_pkts, &key);
	if (!n) {
		__u64 one = 1;
		bpf_map_update_elem(&flow_pkts, &key, &one, BPF_ANY);
		return XDP_PASS;
	}
	*n += 1;
	return *n > 3 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
