/* Counters in .data and a bounded index into a .bss array. */
#include "corpus.h"

__u64 seen = 0;
__u32 per_queue[16];
SEC("xdp") int prog(struct xdp_md *ctx)
{
	seen++;
	per_queue[ctx->rx_queue_index & 15]++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
