/* REJECTED: calls bpf_trace_printk, a GPL-only helper, from a program whose license is not GPL-compatible
 * ("cannot call GPL-restricted function from non-GPL compatible program"). */
#include "../parse.h"

SEC("xdp")
int gpl_only_helper(struct xdp_md *ctx)
{
	bpf_printk("len %u", ctx->data_end - ctx->data);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Proprietary";
