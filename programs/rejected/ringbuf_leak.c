/* REJECTED: a bpf_ringbuf_reserve'd record that is neither submitted nor discarded on one path
 * ("Unreleased reference"). */
#include "../parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

SEC("xdp")
int ringbuf_leak(struct xdp_md *ctx)
{
	__u32 *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return XDP_PASS;
	*e = ctx->data_end - ctx->data;
	if (*e > 100)
		return XDP_DROP;	/* leaks the reservation */
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
