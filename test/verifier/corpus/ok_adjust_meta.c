/* bpf_xdp_adjust_meta then a checked metadata write. */
#include "corpus.h"

SEC("xdp") int prog(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_meta(ctx, -4)) return XDP_PASS;
	__u32 *meta = (void *)(long)ctx->data_meta;
	void *data = (void *)(long)ctx->data;
	if ((void *)(meta + 1) > data) return XDP_PASS;
	*meta = 42;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
