/* REJECTED: keeps using a packet pointer after bpf_xdp_adjust_head, which invalidates every packet
 * pointer (kernel: clear_all_pkt_pointers → the old register is a scalar, "invalid mem access"). */
#include "../parse.h"

SEC("xdp")
int pkt_after_adjust(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (bpf_xdp_adjust_head(ctx, 0))
		return XDP_ABORTED;
	/* Forces the stale pointer to be kept across the call rather than re-derived. */
	asm volatile("" : "+r"(eth));
	return eth->h_proto == bpf_htons(ETH_P_IP) ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
