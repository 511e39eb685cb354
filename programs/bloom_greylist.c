/* Greylisting with a BLOOM_FILTER of seen source addresses (IPv4 mapped into 16 bytes, IPv6 as is):
 * the first frame from a source is dropped and the source added (bpf_map_push_elem); later frames from a
 * source the filter may contain (bpf_map_peek_elem returns 0) pass. A Bloom filter can answer "maybe"
 * for a source never added; with 1024 entries and 3 hash functions against the samples' ~100 sources the
 * chance is negligible, but it is why the kernel and xdpjit could in principle disagree here.
 * Non-IP frames pass. */
#include "parse.h"

struct src_addr {
	__u8 bytes[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 1024);
	__type(value, struct src_addr);
	__uint(map_extra, 3);	/* number of hash functions */
} seen_sources SEC(".maps");

SEC("xdp")
int bloom_greylist(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	struct src_addr a = {};

	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	if (eth_proto < 0)
		return XDP_PASS;
	if (parse_l3(&c, eth_proto, &ip, &ip6) < 0)
		return XDP_PASS;
	if (ip) {
		/* ::ffff:a.b.c.d (RFC 4291 §2.5.5.2) */
		a.bytes[10] = 0xff;
		a.bytes[11] = 0xff;
		__builtin_memcpy(&a.bytes[12], &ip->saddr, 4);
	} else if (ip6) {
		__builtin_memcpy(a.bytes, &ip6->saddr, 16);
	} else {
		return XDP_PASS;
	}
	if (bpf_map_peek_elem(&seen_sources, &a) == 0)
		return XDP_PASS;
	bpf_map_push_elem(&seen_sources, &a, BPF_ANY);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
