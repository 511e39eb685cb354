/* bpf-to-bpf calls: static __noinline functions (verified in the caller's context, may take packet
 * pointers) and global __noinline functions (verified once on their own against their BTF signature:
 * scalars and the ctx pointer only). Verdict: frames under 100 bytes are dropped, TCP passes, UDP with an
 * even destination port is dropped, the rest pass. */
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

/* Global: takes only a scalar, returns a scalar. */
__noinline int verdict_for_len(__u32 len)
{
	return len < 100 ? XDP_DROP : XDP_PASS;
}

/* Global: takes the ctx, reads a map. */
__noinline int count_frame(struct xdp_md *ctx)
{
	__u32 key = (ctx->data_end - ctx->data) > 512 ? 1 : 0;
	__u64 *n = bpf_map_lookup_elem(&calls, &key);
	if (!n)
		return 0;
	__sync_fetch_and_add(n, 1);
	return 1;
}

/* Static: receives packet pointers, so it is verified per call site. */
static __noinline int udp_dst_port(void *l4, void *data_end)
{
	struct udphdr *uh = l4;
	if ((void *)(uh + 1) > data_end)
		return -1;
	return bpf_ntohs(uh->dest);
}

/* Static with a nested call: three frames deep. */
static __noinline int classify(struct xdp_md *ctx)
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
	if (proto == IPPROTO_TCP)
		return XDP_PASS;
	if (proto == IPPROTO_UDP) {
		int port = udp_dst_port(c.pos, c.end);
		if (port >= 0 && (port & 1) == 0)
			return XDP_DROP;
	}
	return XDP_PASS;
}

SEC("xdp")
int bpf2bpf(struct xdp_md *ctx)
{
	count_frame(ctx);
	int v = verdict_for_len(ctx->data_end - ctx->data);
	if (v != XDP_PASS)
		return v;
	return classify(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
