/* Patch panel for the VXLAN example (deploy/vxlan/compose.yaml): every frame that arrives on one side is
 * redirected out of the other, so two containers whose Linux vxlan devices point at the daemon share one
 * Ethernet segment through it (ARP included). TCP/UDP to `blocked_port` (default 23, telnet) is dropped on
 * the way, to show a filter on the path. Sides are ifindex 1 and 2: the daemon numbers interfaces in the
 * order its config creates them (deploy/vxlan/xdpjit.json). Verdicts are counted per CPU. */
#include "parse.h"

const volatile __u32 side_a = 1;
const volatile __u32 side_b = 2;
const volatile __u16 blocked_port = 23;

enum { FORWARDED = 0, BLOCKED = 1 };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} xconnect_stats SEC(".maps");

static __always_inline void count(__u32 verdict)
{
	__u64 *n = bpf_map_lookup_elem(&xconnect_stats, &verdict);
	if (n)
		*n += 1;
}

SEC("xdp")
int xconnect(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;

	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	if (eth_proto >= 0) {
		int proto = parse_l3(&c, eth_proto, &ip, &ip6);
		if (proto >= 0 && l4_dst_port(&c, proto) == blocked_port) {
			count(BLOCKED);
			return XDP_DROP;
		}
	}
	count(FORWARDED);
	return bpf_redirect(ctx->ingress_ifindex == side_a ? side_b : side_a, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
