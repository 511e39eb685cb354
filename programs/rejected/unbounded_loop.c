/* REJECTED: a loop that never changes its state unless rx_queue_index is 7, i.e. may never end; the
 * verifier meets the same state again at the back edge ("infinite loop detected"). A loop that changes
 * its state but has no bound ends instead at the 1,000,000-instruction budget, which costs seconds of
 * kernel time to demonstrate: this is the cheap form of "bounded loops only". */
#include "../parse.h"

SEC("xdp")
int unbounded_loop(struct xdp_md *ctx)
{
	__u32 q = ctx->rx_queue_index;

	for (;;) {
		if (q == 7)
			break;
		asm volatile("" ::: "memory");
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
