/* A global function is verified for every argument value, not only the one its caller passes. */
#include "corpus.h"

__attribute__((noinline)) int pick(__u32 i)
{
	__u32 k = 0;
	__u8 *v = bpf_map_lookup_elem(&arr64, &k);
	if (!v) return 0;
	return v[i];
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	return pick(3) & 3;
}

char LICENSE[] SEC("license") = "GPL";
