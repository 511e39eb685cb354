/* REJECTED: writes the stack at an offset taken from the packet without bounding it (kernel: variable
 * stack access out of the frame's bounds). */
#include "../parse.h"

SEC("xdp")
int stack_var_offset(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	volatile __u8 buf[64] = {};

	if (data + 15 > data_end)
		return XDP_DROP;
	__u8 idx = *(__u8 *)(data + 14);
	buf[idx] = 1;	/* idx may be up to 255 */
	return buf[0] ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
