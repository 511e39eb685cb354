/* A PERCPU_ARRAY lookup with a constant key. */
#include "corpus.h"

struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, __u64); } pc SEC(".maps");
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 1;
	__u64 *v = bpf_map_lookup_elem(&pc, &k);
	if (v) *v += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
