/* REJECTED: stores into the XDP context; xdp_md is read-only to XDP programs (kernel xdp_is_valid_access:
 * "invalid bpf_context access"). */
#include "../parse.h"

SEC("xdp")
int ctx_write(struct xdp_md *ctx)
{
	*(volatile __u32 *)&ctx->rx_queue_index = 5;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
