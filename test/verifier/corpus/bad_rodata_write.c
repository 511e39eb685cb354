/* Writing into const (read-only) global data. */
#include "corpus.h"

const volatile __u32 threshold = 5;
SEC("xdp") int prog(struct xdp_md *ctx)
{
	*(volatile __u32 *)&threshold = ctx->rx_queue_index;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
