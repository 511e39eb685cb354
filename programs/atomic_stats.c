/* Shared (not per-CPU) statistics updated with BPF_ATOMIC instructions (-mcpu=v3): add with and without
 * fetch, or/and/xor, exchange and compare-and-exchange, in 64- and 32-bit widths, on a HASH value that all
 * CPUs update. The largest frame seen is kept with a bounded compare-and-swap retry loop.
 * Verdict from the fetched counter: every 5th frame of a class (counting from the first) is dropped. */
#include "parse.h"

struct stats {
	__u64 packets;
	__u64 bytes;
	__u64 max_len;
	__u64 last_len;		/* exchanged */
	__u32 flags_seen;	/* or-ed EtherType class bits */
	__u32 parity;		/* xor-ed low bit of each length */
	__u32 mask;		/* and-ed, starts all ones */
	__u32 packets32;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct stats);
} class_stats SEC(".maps");

SEC("xdp")
int atomic_stats(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	__u64 len = ctx->data_end - ctx->data;

	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	__u32 key = eth_proto == ETH_P_IP ? 4 : eth_proto == ETH_P_IPV6 ? 6 : eth_proto == ETH_P_ARP ? 1 : 0;

	struct stats *s = bpf_map_lookup_elem(&class_stats, &key);
	if (!s) {
		struct stats init = { .mask = 0xffffffff };
		/* BPF_NOEXIST: if another CPU inserted first, its entry wins and we use that. */
		bpf_map_update_elem(&class_stats, &key, &init, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&class_stats, &key);
		if (!s)
			return XDP_ABORTED;
	}

	__u64 before = __sync_fetch_and_add(&s->packets, 1);
	__sync_fetch_and_add(&s->bytes, len);			/* result unused: BPF_ADD without BPF_FETCH */
	__sync_fetch_and_add(&s->packets32, 1);			/* 32-bit add */
	__sync_fetch_and_or(&s->flags_seen, 1u << (key & 7));
	__sync_fetch_and_xor(&s->parity, (__u32)len & 1);
	__u32 old_mask = __sync_fetch_and_and(&s->mask, ~(1u << (len & 31)));
	__u64 prev_len = __sync_lock_test_and_set(&s->last_len, len);	/* BPF_XCHG */

	for (int tries = 0; tries < 4; tries++) {
		__u64 cur = s->max_len;
		if (cur >= len)
			break;
		if (__sync_val_compare_and_swap(&s->max_len, cur, len) == cur)
			break;
	}

	if (prev_len == 0 && before != 0)
		return XDP_ABORTED;	/* last_len is only zero before the first frame */
	if (old_mask == 0)
		return XDP_TX;	/* every length bit class seen: bounce (content-dependent, reachable) */
	return before % 5 == 4 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
