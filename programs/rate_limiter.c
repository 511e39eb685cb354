/* Per-source token bucket (IPv4 source address) in an LRU_HASH, refilled from bpf_ktime_get_ns.
 * Rate and burst are .rodata config. Over budget → DROP; non-IPv4 → PASS. The bucket of a source that
 * sends a TCP RST is forgotten (bpf_map_delete_elem). */
#include "parse.h"

const volatile __u64 rate_per_sec = 100;
const volatile __u64 burst = 8;

struct bucket {
	__u64 tokens_milli;	/* tokens × 1000, so refills of under one token are kept */
	__u64 last_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct bucket);
} buckets SEC(".maps");

SEC("xdp")
int rate_limiter(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;

	cursor_init(&c, ctx);
	if (parse_eth(&c, &eth) != ETH_P_IP)
		return XDP_PASS;
	int proto = parse_ipv4(&c, &ip);
	if (proto < 0)
		return XDP_DROP;

	__u32 src = ip->saddr;
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = c.pos;
		if ((void *)(th + 1) <= c.end && th->rst) {
			bpf_map_delete_elem(&buckets, &src);
			return XDP_PASS;
		}
	}

	__u64 now = bpf_ktime_get_ns();
	struct bucket *b = bpf_map_lookup_elem(&buckets, &src);
	if (!b) {
		struct bucket fresh = { .tokens_milli = (burst - 1) * 1000, .last_ns = now };
		bpf_map_update_elem(&buckets, &src, &fresh, BPF_ANY);
		return XDP_PASS;
	}
	__u64 elapsed = now - b->last_ns;
	__u64 tokens = b->tokens_milli + elapsed * rate_per_sec / 1000000;
	if (tokens > burst * 1000)
		tokens = burst * 1000;
	b->last_ns = now;
	if (tokens < 1000) {
		b->tokens_milli = tokens;
		return XDP_DROP;
	}
	b->tokens_milli = tokens - 1000;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
