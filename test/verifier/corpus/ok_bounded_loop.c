/* A bounded loop summing the first 16 packet bytes, each access checked. */
#include "corpus.h"

SEC("xdp") int prog(struct xdp_md *ctx)
{
	unsigned char *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	unsigned sum = 0;
	for (int i = 0; i < 16; i++) {
		if (p + i + 1 > end) break;
		sum += p[i];
	}
	return sum & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
