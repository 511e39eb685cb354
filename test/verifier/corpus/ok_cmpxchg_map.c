/* Compare-and-exchange on a map value. */
#include "corpus.h"

SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 1;
	__u64 *v = bpf_map_lookup_elem(&hash8, &k);
	if (!v) return XDP_PASS;
	__u64 old = __sync_val_compare_and_swap(v, 0, ctx->rx_queue_index);
	return old & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
