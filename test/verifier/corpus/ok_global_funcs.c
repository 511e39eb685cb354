/* Global functions taking a scalar and the ctx, each verified once on its own. */
#include "corpus.h"

__attribute__((noinline)) int verdict_for_len(__u32 len)
{
	return len < 100 ? XDP_DROP : XDP_PASS;
}
__attribute__((noinline)) int count_frame(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index & 3;
	__u64 *n = bpf_map_lookup_elem(&arr8, &key);
	if (!n) return 0;
	__sync_fetch_and_add(n, 1);
	return 1;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	count_frame(ctx);
	return verdict_for_len(ctx->data_end - ctx->data);
}

char LICENSE[] SEC("license") = "GPL";
