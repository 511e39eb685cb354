/* Accepted by recent kernels only: dereferences an ARRAY lookup's result without a NULL check. The key is a
 * constant below max_entries that the verifier can read back from the stack, so it knows the lookup cannot
 * fail and types the result as a map value, not map_value_or_null (kernel verifier.c get_constant_map_key;
 * older kernels reject with "invalid mem access 'map_value_or_null'"). Key 0 works because the stack slot
 * is STACK_ZERO; rejected/array_const_key_spill.c stores key 1 through a 32-bit register spill, which the
 * 6.18 verifier does not read back as a constant, and is rejected. rejected/map_null_deref.c is the HASH
 * case. Counts every frame; frames of 100 bytes or more are dropped. */
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} counter SEC(".maps");

SEC("xdp")
int array_const_key(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&counter, &key);
	*n += 1;
	return ctx->data_end - ctx->data >= 100 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
