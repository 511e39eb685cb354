/* Maps of maps: an ARRAY_OF_MAPS (slot = EtherType class) and a HASH_OF_MAPS (key = IP protocol), both
 * initialised in the object with `.values` pointing at inner ARRAY maps. The program looks the inner map
 * up, then counts in its slot 0. A class or protocol without an inner map → DROP; otherwise PASS. */
#include "parse.h"

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
};

struct inner ipv4_counts SEC(".maps");
struct inner ipv6_counts SEC(".maps");
struct inner tcp_counts SEC(".maps");
struct inner udp_counts SEC(".maps");
/* Referenced by no initialiser: map_in_map.maps plugs it in ("@other_counts"). */
struct inner other_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} by_family SEC(".maps") = {
	.values = { [0] = &ipv4_counts, [1] = &ipv6_counts },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct inner);
} by_proto SEC(".maps") = {
	.values = { [IPPROTO_TCP] = &tcp_counts, [IPPROTO_UDP] = &udp_counts },
};

static __always_inline int bump(void *inner_map)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(inner_map, &zero);
	if (!n)
		return -1;
	__sync_fetch_and_add(n, 1);
	return 0;
}

SEC("xdp")
int map_in_map(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;

	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	__u32 family = eth_proto == ETH_P_IP ? 0 : eth_proto == ETH_P_IPV6 ? 1 : 2;
	void *inner = bpf_map_lookup_elem(&by_family, &family);
	if (!inner)
		return XDP_DROP;
	bump(inner);

	__u32 proto = parse_l3(&c, eth_proto, &ip, &ip6);
	void *pinner = bpf_map_lookup_elem(&by_proto, &proto);
	if (!pinner)
		return XDP_DROP;
	bump(pinner);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
