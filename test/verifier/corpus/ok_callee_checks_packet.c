/* A callee proves the packet range and reads it. */
#include "corpus.h"

static __attribute__((noinline)) int first_byte(struct xdp_md *ctx)
{
	unsigned char *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (p + 1 > end) return -1;
	return p[0];
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	return first_byte(ctx) == 0xff ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
