/* A const volatile config flag gates a path the verifier never enters. */
#include "corpus.h"

const volatile __u32 enable_drop = 0;
SEC("xdp") int prog(struct xdp_md *ctx)
{
	if (enable_drop)
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
