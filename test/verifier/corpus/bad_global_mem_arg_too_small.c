/* A global function declared to take 32 bytes is given an 8-byte stack slot at the top of the frame. */
#include "corpus.h"

struct quad { __u64 a[4]; };
__attribute__((noinline)) int sum(struct quad *q)
{
	if (!q) return 0;
	return (q->a[0] + q->a[3]) & 1;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u64 x = ctx->rx_queue_index;
	return sum((struct quad *)&x) ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
