/* bpf_csum_diff over 20 bytes of a 14-byte checked range. */
#include "corpus.h"

SEC("xdp") int prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (data + 14 > end) return XDP_PASS;
	return bpf_csum_diff(0, 0, data, 20, 0) & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
