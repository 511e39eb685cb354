/* A subprogram doing a tail call below 320 bytes of caller stack (limit 256 when tail calls and calls mix). */
#include "corpus.h"

static __attribute__((noinline)) int tc(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jmp_table, 0);
	return 0;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	volatile __u64 buf[40];
	for (int i = 0; i < 40; i++) buf[i] = i;
	tc(ctx);
	return buf[39] == 3 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
