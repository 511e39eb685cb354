/* After bpf_xdp_adjust_head the pointers are reloaded and re-checked. */
#include "corpus.h"

SEC("xdp") int prog(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_head(ctx, -4)) return XDP_ABORTED;
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (data + 4 + sizeof(struct ethhdr) > end) return XDP_DROP;
	__builtin_memmove(data, data + 4, 12);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
