/* REJECTED on Linux 6.18: as ../array_const_key.c (ARRAY lookup dereferenced without a NULL check), but with
 * key 1. clang stores the key from a register (a 4-byte spill), which the verifier keeps as STACK_MISC rather
 * than a known constant, so the lookup stays map_value_or_null ("invalid mem access 'map_value_or_null'"). */
#include "../parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} counter SEC(".maps");

SEC("xdp")
int array_const_key_spill(struct xdp_md *ctx)
{
	__u32 key = 1;
	__u64 *n = bpf_map_lookup_elem(&counter, &key);
	*n += 1;
	return ctx->data_end - ctx->data >= 100 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
