/* REJECTED: dereferences a HASH lookup's result without the NULL check (kernel: "invalid mem access
 * 'map_value_or_null'"). Compare ../array_const_key.c, which recent kernels accept. */
#include "../parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counter SEC(".maps");

SEC("xdp")
int map_null_deref(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&counter, &key);
	*n += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
