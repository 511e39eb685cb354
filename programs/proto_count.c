/* Per-protocol packet and byte counters (PERCPU_ARRAY indexed by the IP protocol number).
 * Non-IP frames (ARP, ...) are counted at index NON_IP and passed; frames whose headers are truncated
 * are counted at index TRUNCATED and dropped, so verdicts differ by content. */
#include "parse.h"

#define NON_IP 256
#define TRUNCATED 257

struct counters {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 258);
	__type(key, __u32);
	__type(value, struct counters);
} proto_stats SEC(".maps");

static __always_inline void count(__u32 idx, __u64 len)
{
	struct counters *c = bpf_map_lookup_elem(&proto_stats, &idx);
	if (!c)
		return;
	/* Per-CPU slot: no other CPU writes it, so plain adds suffice. */
	c->packets++;
	c->bytes += len;
}

SEC("xdp")
int proto_count(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	__u64 len = ctx->data_end - ctx->data;

	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	if (eth_proto < 0) {
		count(TRUNCATED, len);
		return XDP_DROP;
	}
	int proto = parse_l3(&c, eth_proto, &ip, &ip6);
	if (proto == -2) {
		count(NON_IP, len);
		return XDP_PASS;
	}
	if (proto < 0) {
		count(TRUNCATED, len);
		return XDP_DROP;
	}
	count(proto, len);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
