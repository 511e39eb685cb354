/* REJECTED: returns on one path with the bpf_spin_lock still held ("bpf_spin_unlock is missing" /
 * exit inside a locked region). */
#include "../parse.h"

struct locked {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked);
} state SEC(".maps");

SEC("xdp")
int spin_lock_held(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct locked *v = bpf_map_lookup_elem(&state, &key);
	if (!v)
		return XDP_PASS;
	bpf_spin_lock(&v->lock);
	v->n++;
	if (v->n & 1)
		return XDP_DROP;	/* lock still held */
	bpf_spin_unlock(&v->lock);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
