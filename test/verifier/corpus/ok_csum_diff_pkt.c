/* bpf_csum_diff reading checked packet bytes. */
#include "corpus.h"

SEC("xdp") int prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (data + 20 > end) return XDP_PASS;
	__s64 s = bpf_csum_diff(0, 0, data, 20, 0);
	return s & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
