/* Eight frames deep (the maximum): the entry and seven nested calls. */
#include "corpus.h"

#define F(n, m) static __attribute__((noinline)) int f##n(int x) { return f##m(x + 1) + 1; }
static __attribute__((noinline)) int f7(int x) { return x & 3; }
F(6, 7) F(5, 6) F(4, 5) F(3, 4) F(2, 3) F(1, 2)
SEC("xdp") int prog(struct xdp_md *ctx)
{
	return f1(ctx->rx_queue_index) & 3;
}

char LICENSE[] SEC("license") = "GPL";
