/* An atomic add on const data. */
#include "corpus.h"

const volatile __u64 counter = 0;
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__sync_fetch_and_add((__u64 *)&counter, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
