/* A callee filling a buffer in its caller's stack frame. */
#include "corpus.h"

static __attribute__((noinline)) int fill(__u64 *out, __u32 v)
{
	out[0] = v;
	out[1] = v * 2;
	return 0;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u64 buf[2];
	fill(buf, ctx->rx_queue_index);
	return (buf[0] + buf[1]) & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
