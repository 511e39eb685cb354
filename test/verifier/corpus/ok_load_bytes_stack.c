/* bpf_xdp_load_bytes fills an uninitialised stack buffer, which is then read. */
#include "corpus.h"

SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u8 buf[16];
	if (bpf_xdp_load_bytes(ctx, 0, buf, sizeof(buf))) return XDP_PASS;
	return buf[12] == 8 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
