/* Source-prefix blocklist: two LPM_TRIE maps (IPv4 and IPv6 source addresses, longest prefix wins).
 * A match drops the frame and counts it in the matched rule's value; no match passes. */
#include "parse.h"

struct lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct lpm_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct rule {
	__u32 id;
	__u32 pad;
	__u64 hits;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__type(key, struct lpm_v4_key);
	__type(value, struct rule);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* the kernel requires it for LPM tries */
} blocked_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__type(key, struct lpm_v6_key);
	__type(value, struct rule);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} blocked_v6 SEC(".maps");

SEC("xdp")
int lpm_blocklist(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	struct rule *r = 0;

	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	if (eth_proto < 0)
		return XDP_PASS;
	if (parse_l3(&c, eth_proto, &ip, &ip6) < 0)
		return XDP_PASS;

	if (ip) {
		struct lpm_v4_key key = { .prefixlen = 32 };
		__builtin_memcpy(key.addr, &ip->saddr, 4);
		r = bpf_map_lookup_elem(&blocked_v4, &key);
	} else if (ip6) {
		struct lpm_v6_key key = { .prefixlen = 128 };
		__builtin_memcpy(key.addr, &ip6->saddr, 16);
		r = bpf_map_lookup_elem(&blocked_v6, &key);
	}
	if (!r)
		return XDP_PASS;
	__sync_fetch_and_add(&r->hits, 1);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
