/* A global function declared to take the ctx is given a packet pointer. */
#include "corpus.h"

__attribute__((noinline)) int first(struct xdp_md *ctx)
{
	return ctx->rx_queue_index & 3;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	return first((struct xdp_md *)(long)ctx->data);
}

char LICENSE[] SEC("license") = "GPL";
