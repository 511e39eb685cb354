/* index % 8 bounds a map value index (modulo by a constant). */
#include "corpus.h"

SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&arr8, &k);
	if (!v) return XDP_PASS;
	__u32 i = ctx->rx_queue_index % 8;
	return ((volatile unsigned char *)v)[i] ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
