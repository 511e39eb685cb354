/* A bpf_loop callback reading past the context struct it was given (above the caller's frame). */
#include "corpus.h"

struct acc { __u64 sum; __u32 seen; };

static long step(__u64 i, struct acc *a)
{
	a->seen += ((volatile __u64 *)a)[2];
	return 0;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct acc a = {};
	bpf_loop(4, step, &a, 0);
	return a.seen & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
