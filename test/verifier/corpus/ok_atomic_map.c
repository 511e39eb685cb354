/* Atomic add and fetch-add on a map value. */
#include "corpus.h"

SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&arr8, &k);
	if (!v) return XDP_PASS;
	__sync_fetch_and_add(v, 1);
	return __sync_fetch_and_add(v, 2) & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
