/* A reservation submitted on one path and discarded on the other. */
#include "corpus.h"

SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e) return XDP_PASS;
	*e = ctx->ingress_ifindex;
	if (ctx->rx_queue_index & 1)
		bpf_ringbuf_submit(e, 0);
	else
		bpf_ringbuf_discard(e, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
