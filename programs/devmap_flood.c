/* A small L2 flooder over device maps, with a devmap program on the way out.
 *
 * flood (SEC("xdp")):
 *  - group destination MAC (broadcast / multicast) → every port of flood_ports but the one it came in on
 *    (bpf_redirect_map with BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS, as a bridge floods);
 *  - IPv4 UDP to an even port → every port of flood_hash, the ingress port included (BPF_F_BROADCAST only);
 *  - IPv4 TCP → the flood_hash port keyed by destination port % 4 (missing key → XDP_PASS);
 *  - IPv6 → the flood_ports slot of the destination's last byte % 4 (empty slot → XDP_DROP);
 *  - anything else (non-IP included) passes, truncated frames drop. decisions[] counts each branch.
 *
 * egress_mark (SEC("xdp/devmap"), run on each copy before it leaves through a port whose struct
 * bpf_devmap_val names it): UDP to the discard port (9) is dropped; otherwise the source MAC's last byte
 * becomes the egress ifindex (a per-port MAC) and the copy is counted in egress_seen[egress_ifindex % 8].
 */
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} flood_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} flood_hash SEC(".maps");

enum { D_GROUP, D_UDP_EVEN, D_TCP, D_IPV6, D_OTHER, D_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, D_MAX);
	__type(key, __u32);
	__type(value, __u64);
} decisions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} egress_seen SEC(".maps");

static __always_inline void count(void *map, __u32 k)
{
	__u64 *v = bpf_map_lookup_elem(map, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int flood(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;

	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	if (eth_proto < 0)
		return XDP_DROP;
	if (eth->h_dest[0] & 1) {
		count(&decisions, D_GROUP);
		return bpf_redirect_map(&flood_ports, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
	}
	int proto = parse_l3(&c, eth_proto, &ip, &ip6);
	if (proto == -1)
		return XDP_DROP;
	if (ip6) {
		count(&decisions, D_IPV6);
		return bpf_redirect_map(&flood_ports, ip6->daddr.in6_u.u6_addr8[15] % 4, XDP_DROP);
	}
	if (ip && proto == IPPROTO_UDP) {
		struct udphdr *udp = c.pos;
		if ((void *)(udp + 1) > c.end)
			return XDP_DROP;
		if ((bpf_ntohs(udp->dest) & 1) == 0) {
			count(&decisions, D_UDP_EVEN);
			return bpf_redirect_map(&flood_hash, 0, BPF_F_BROADCAST);
		}
	}
	if (ip && proto == IPPROTO_TCP) {
		struct tcphdr *tcp = c.pos;
		if ((void *)(tcp + 1) > c.end)
			return XDP_DROP;
		count(&decisions, D_TCP);
		return bpf_redirect_map(&flood_hash, bpf_ntohs(tcp->dest) % 4, XDP_PASS);
	}
	count(&decisions, D_OTHER);
	return XDP_PASS;
}

SEC("xdp/devmap")
int egress_mark(struct xdp_md *ctx)
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
	if (ip && proto == IPPROTO_UDP) {
		struct udphdr *udp = c.pos;
		if ((void *)(udp + 1) <= c.end && udp->dest == bpf_htons(9))
			return XDP_DROP;
	}
	__u32 egress = ctx->egress_ifindex;
	eth->h_source[5] = egress & 0xff;
	count(&egress_seen, egress % 8);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
