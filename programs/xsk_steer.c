/* Steers UDP frames for port 4242 to the AF_XDP socket of the receive queue (XSKMAP, key =
 * ctx->rx_queue_index); without a socket in the slot they fall back to XDP_PASS. Other frames pass;
 * UDP to port 4243 is dropped (a second verdict on the same path). */
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

SEC("xdp")
int xsk_steer(struct xdp_md *ctx)
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
	if (proto != IPPROTO_UDP)
		return XDP_PASS;
	int port = l4_dst_port(&c, proto);
	if (port == 4243)
		return XDP_DROP;
	if (port != 4242)
		return XDP_PASS;
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
