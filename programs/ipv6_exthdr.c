/* Walks IPv6 extension headers (RFC 8200 §4: hop-by-hop, routing, fragment, destination options) to the
 * upper-layer protocol. Two programs with the same verdicts:
 *   ipv6_exthdr      — a real bounded loop (no unrolling) over packet pointers;
 *   ipv6_exthdr_loop — bpf_loop with a callback reading headers through bpf_xdp_load_bytes.
 * Verdict: a routing header → DROP; a non-first fragment → DROP; a chain truncated or longer than
 * MAX_EXT headers → ABORTED; otherwise PASS. The upper-layer protocol found is counted. */
#include "parse.h"

#define MAX_EXT 8

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} upper_proto SEC(".maps");

/* RFC 8200 §4.5: fragment header is 8 bytes with offset in the top 13 bits of frag_off. */
struct frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 id;
};

static __always_inline int is_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_FRAGMENT ||
	       nh == IPPROTO_DSTOPTS;
}

static __always_inline void count_upper(__u32 proto)
{
	__u64 *n = bpf_map_lookup_elem(&upper_proto, &proto);
	if (n)
		*n += 1;
}

SEC("xdp")
int ipv6_exthdr(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct ipv6hdr *ip6;

	cursor_init(&c, ctx);
	if (parse_eth(&c, &eth) != ETH_P_IPV6)
		return XDP_PASS;
	int nh = parse_ipv6(&c, &ip6);
	if (nh < 0)
		return XDP_ABORTED;

	/* Keep this a real loop in the object (clang would unroll 8 iterations): the verifier must walk it as
	 * a bounded loop, and the JIT must turn the back edge into a wasm loop. */
	int i;
#pragma clang loop unroll(disable)
	for (i = 0; i < MAX_EXT && is_ext(nh); i++) {
		__u8 *hdr = c.pos;
		if ((void *)(hdr + 8) > c.end)
			return XDP_ABORTED;
		if (nh == IPPROTO_ROUTING)
			return XDP_DROP;
		if (nh == IPPROTO_FRAGMENT) {
			struct frag_hdr *fh = c.pos;
			if (bpf_ntohs(fh->frag_off) & 0xfff8)
				return XDP_DROP;
			c.pos += 8;
		} else {
			c.pos += (hdr[1] + 1) * 8;
		}
		nh = hdr[0];
	}
	if (is_ext(nh))
		return XDP_ABORTED;
	count_upper(nh);
	return XDP_PASS;
}

struct walk {
	struct xdp_md *xdp;
	__u32 off;
	__u32 nexthdr;
	int verdict;	/* -1 while walking */
};

static long walk_one(__u32 index, void *data)
{
	struct walk *w = data;
	__u8 hdr[4];

	if (!is_ext(w->nexthdr)) {
		w->verdict = XDP_PASS;
		return 1;
	}
	if (w->nexthdr == IPPROTO_ROUTING) {
		w->verdict = XDP_DROP;
		return 1;
	}
	if (bpf_xdp_load_bytes(w->xdp, w->off, hdr, sizeof(hdr)) < 0 ||
	    bpf_xdp_load_bytes(w->xdp, w->off + 7, hdr + 3, 1) < 0) {
		/* Reading the header's last byte proves all 8 bytes are present, as the pointer walk checks. */
		w->verdict = XDP_ABORTED;
		return 1;
	}
	if (w->nexthdr == IPPROTO_FRAGMENT) {
		if (((hdr[2] << 8) | hdr[3]) & 0xfff8) {
			w->verdict = XDP_DROP;
			return 1;
		}
		w->off += 8;
	} else {
		w->off += (hdr[1] + 1) * 8;
	}
	w->nexthdr = hdr[0];
	return 0;
}

SEC("xdp")
int ipv6_exthdr_loop(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct ipv6hdr *ip6;

	cursor_init(&c, ctx);
	if (parse_eth(&c, &eth) != ETH_P_IPV6)
		return XDP_PASS;
	int nh = parse_ipv6(&c, &ip6);
	if (nh < 0)
		return XDP_ABORTED;

	struct walk w = {
		.xdp = ctx,
		.off = c.pos - (void *)(long)ctx->data,
		.nexthdr = nh,
		.verdict = -1,
	};
	/* MAX_EXT + 1 iterations: the last one classifies the header reached after MAX_EXT extensions. */
	bpf_loop(MAX_EXT + 1, walk_one, &w, 0);
	if (w.verdict < 0)
		return XDP_ABORTED;
	if (w.verdict == XDP_PASS)
		count_upper(w.nexthdr & 0xff);
	return w.verdict;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
