/* A subprogram doing a tail call below 64 bytes of caller stack. */
#include "corpus.h"

static __attribute__((noinline)) int tc(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jmp_table, 0);
	return 0;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	volatile __u64 buf[8];
	for (int i = 0; i < 8; i++) buf[i] = i;
	tc(ctx);
	return buf[7] == 3 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
