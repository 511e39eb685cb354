/* QUEUE (FIFO) and STACK (LIFO) maps: every IPv4 frame's source address is pushed to both (BPF_EXIST
 * makes a full map drop its oldest element instead of failing). Every ICMP frame pops the queue (the
 * oldest remembered source) and the stack (the newest: this frame's own, pushed just before) and peeks
 * both again. PASS when the oldest remembered source is this frame's own, DROP otherwise; ABORTED if
 * a pop fails or the stack top is not this frame's source (LIFO broken). Non-IPv4 frames pass. */
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 16);
	__type(value, __u32);
} src_fifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 16);
	__type(value, __u32);
} src_lifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} last_peek SEC(".maps");

SEC("xdp")
int queue_stack(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;

	cursor_init(&c, ctx);
	if (parse_eth(&c, &eth) != ETH_P_IP)
		return XDP_PASS;
	int proto = parse_ipv4(&c, &ip);
	if (proto < 0)
		return XDP_PASS;

	__u32 src = ip->saddr;
	bpf_map_push_elem(&src_fifo, &src, BPF_EXIST);
	bpf_map_push_elem(&src_lifo, &src, BPF_EXIST);
	if (proto != IPPROTO_ICMP)
		return XDP_PASS;

	__u32 oldest, top, peeked = 0;
	if (bpf_map_pop_elem(&src_fifo, &oldest))
		return XDP_ABORTED;
	if (bpf_map_pop_elem(&src_lifo, &top))
		return XDP_ABORTED;
	if (bpf_map_peek_elem(&src_fifo, &peeked) == 0 || bpf_map_peek_elem(&src_lifo, &peeked) == 0) {
		__u32 key = 0;
		bpf_map_update_elem(&last_peek, &key, &peeked, BPF_ANY);
	}
	if (top != src)
		return XDP_ABORTED;
	return oldest == src ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
