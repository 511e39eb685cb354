/* A map key read from the packet without a bounds check. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + 0)\n"
	"r3 = *(u32 *)(r1 + 4)\n"
	"r1 = %[hash8] ll\n"
	"call %[bpf_map_lookup_elem]\n"
	"r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(hash8), HELPER(map_lookup_elem)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
