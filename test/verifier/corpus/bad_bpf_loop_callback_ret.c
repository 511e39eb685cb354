/* A bpf_loop callback must return 0 or 1. */
#include "corpus.h"

struct acc { __u64 sum; __u32 seen; };

static long step(__u64 i, struct acc *a)
{
	a->seen++;
	return 2;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct acc a = {};
	bpf_loop(4, step, &a, 0);
	return a.seen & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
