/* Protocol dispatch through bpf_tail_call: a PROG_ARRAY initialised in the object (`.values`, libbpf
 * fills it at load) with programs of the same object. Slot 0 TCP → PASS, slot 1 UDP → DROP (except DNS,
 * which is passed), slot 2 ICMP → TX; slot 3 (ICMPv6) is left empty, so that tail call misses and the
 * dispatcher falls through to XDP_ABORTED. Other frames pass without a tail call. */
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} handled SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&handled, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
}

SEC("xdp")
int handle_tcp(struct xdp_md *ctx)
{
	count(0);
	return XDP_PASS;
}

SEC("xdp")
int handle_udp(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;

	count(1);
	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	if (eth_proto < 0)
		return XDP_DROP;
	int proto = parse_l3(&c, eth_proto, &ip, &ip6);
	return l4_dst_port(&c, proto) == 53 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int handle_icmp(struct xdp_md *ctx)
{
	count(2);
	return XDP_TX;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	/* key_size rather than a BTF key type: the kernel takes no BTF key/value for PROG_ARRAY. */
	__uint(key_size, sizeof(__u32));
	__array(values, int (struct xdp_md *));
} jmp_table SEC(".maps") = {
	.values = {
		[0] = (void *)&handle_tcp,
		[1] = (void *)&handle_udp,
		[2] = (void *)&handle_icmp,
	},
};

SEC("xdp")
int tail_dispatch(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	__u32 slot;

	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	if (eth_proto < 0)
		return XDP_PASS;
	switch (parse_l3(&c, eth_proto, &ip, &ip6)) {
	case IPPROTO_TCP:
		slot = 0;
		break;
	case IPPROTO_UDP:
		slot = 1;
		break;
	case IPPROTO_ICMP:
		slot = 2;
		break;
	case IPPROTO_ICMPV6:
		slot = 3;
		break;
	default:
		return XDP_PASS;
	}
	bpf_tail_call(ctx, &jmp_table, slot);
	/* Reached only when the slot is empty. */
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
