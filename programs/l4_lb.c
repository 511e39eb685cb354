/* L4 load balancer: hashes the 5-tuple and redirects through a DEVMAP (IPv4, slot = hash % 4) or a
 * DEVMAP_HASH (IPv6, key = 100 + hash % 4). An empty slot falls back to XDP_PASS through
 * bpf_redirect_map's flags (the low bits of flags are the action returned on a miss). Non-IP frames pass;
 * IP frames without TCP/UDP are dropped. */
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports_v6 SEC(".maps");

/* Murmur3 finaliser: cheap and well mixed; any deterministic mix would do. */
static __always_inline __u32 mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

static __always_inline int ports(struct cursor *c, int proto, __u32 *out)
{
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -1;
	/* Source and destination ports sit at the same offsets in TCP and UDP. */
	__u32 *p = c->pos;
	if ((void *)(p + 1) > c->end)
		return -1;
	*out = *p;
	return 0;
}

SEC("xdp")
int l4_lb(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	__u32 pp;

	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	if (eth_proto < 0)
		return XDP_DROP;
	int proto = parse_l3(&c, eth_proto, &ip, &ip6);
	if (proto == -2)
		return XDP_PASS;
	if (proto < 0 || ports(&c, proto, &pp) < 0)
		return XDP_DROP;

	if (ip) {
		__u32 h = mix32(ip->saddr ^ mix32(ip->daddr ^ mix32(pp ^ proto)));
		return bpf_redirect_map(&tx_ports, h % 4, XDP_PASS);
	}
	if (!ip6)
		return XDP_DROP;
	__u32 h = proto;
	for (int i = 0; i < 4; i++)
		h = mix32(h ^ ip6->saddr.in6_u.u6_addr32[i] ^ ip6->daddr.in6_u.u6_addr32[i]);
	h = mix32(h ^ pp);
	return bpf_redirect_map(&tx_ports_v6, 100 + h % 4, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
