/* Byte swaps of packet fields (bpf_ntohs), cpu v4 bswap. */
#include "corpus.h"

SEC("xdp") int prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end) return XDP_PASS;
	__u16 p = bpf_ntohs(eth->h_proto);
	return p > 0x0600 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
