/* A global function reading the packet without a bounds check. */
#include "corpus.h"

__attribute__((noinline)) int peek(struct xdp_md *ctx)
{
	unsigned char *p = (void *)(long)ctx->data;
	return p[0];
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	return peek(ctx) & 3;
}

char LICENSE[] SEC("license") = "GPL";
