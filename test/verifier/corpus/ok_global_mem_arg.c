/* A global function taking a pointer checks it for NULL, then reads and writes it. */
#include "corpus.h"

__attribute__((noinline)) int bump(__u64 *p)
{
	if (!p) return 0;
	*p += 1;
	return 1;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u64 x = ctx->rx_queue_index;
	bump(&x);
	return x & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
