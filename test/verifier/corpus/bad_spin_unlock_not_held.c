/* bpf_spin_unlock without bpf_spin_lock. */
#include "corpus.h"

struct val { struct bpf_spin_lock lock; __u64 n; };
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4); __type(key, __u32); __type(value, struct val); } locked SEC(".maps");

SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&locked, &k);
	if (!v) return XDP_PASS;
	v->n++;
	bpf_spin_unlock(&v->lock);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
