/* bpf_loop whose callback updates a context struct on the caller's stack. */
#include "corpus.h"

struct acc { __u64 sum; __u32 seen; };

static long step(__u64 i, struct acc *a)
{
	a->sum += i;
	a->seen++;
	return a->seen > 20;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct acc a = {};
	bpf_loop(32, step, &a, 0);
	return a.sum & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
