/* A global function dereferences its pointer parameter without a NULL check. */
#include "corpus.h"

__attribute__((noinline)) int bump(__u64 *p)
{
	*p += 1;
	return 0;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u64 x = ctx->rx_queue_index;
	bump(&x);
	return x & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
