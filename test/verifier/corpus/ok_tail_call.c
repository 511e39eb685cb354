/* A tail call that falls through when the slot is empty. */
#include "corpus.h"

SEC("xdp") int prog(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jmp_table, ctx->rx_queue_index & 3);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
