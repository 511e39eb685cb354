/* Update then lookup of a hash map with stack key and value. */
#include "corpus.h"

SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = ctx->rx_queue_index;
	__u64 one = 1, *v = bpf_map_lookup_elem(&hash8, &k);
	if (v) { *v += 1; return XDP_PASS; }
	bpf_map_update_elem(&hash8, &k, &one, BPF_NOEXIST);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
