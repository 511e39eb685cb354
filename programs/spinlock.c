/* bpf_spin_lock in a map value: per-EtherType-class byte and packet totals in a HASH whose value embeds a
 * struct bpf_spin_lock (BTF tells the kernel where). Both fields are updated in one critical section.
 * Verdict: once a class has seen more than 20000 bytes, its frames with odd length are dropped. */
#include "parse.h"

struct totals {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct totals);
} class_totals SEC(".maps");

SEC("xdp")
int spinlock(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	__u32 len = ctx->data_end - ctx->data;

	cursor_init(&c, ctx);
	int proto = parse_eth(&c, &eth);
	__u32 key = proto < 0 ? 0 : proto;

	struct totals *t = bpf_map_lookup_elem(&class_totals, &key);
	if (!t) {
		struct totals init = {};
		bpf_map_update_elem(&class_totals, &key, &init, BPF_NOEXIST);
		t = bpf_map_lookup_elem(&class_totals, &key);
		if (!t)
			return XDP_ABORTED;
	}
	bpf_spin_lock(&t->lock);
	t->packets++;
	t->bytes += len;
	__u64 bytes = t->bytes;
	bpf_spin_unlock(&t->lock);

	return bytes > 20000 && (len & 1) ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
