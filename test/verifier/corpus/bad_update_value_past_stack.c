/* bpf_map_update_elem reads an 8-byte value from r10 - 4. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = 0\n"
	"*(u32 *)(r10 - 8) = r1\n"
	"*(u32 *)(r10 - 4) = r1\n"
	"r2 = r10\n"
	"r2 += -8\n"
	"r3 = r10\n"
	"r3 += -4\n"
	"r1 = %[hash8] ll\n"
	"r4 = 0\n"
	"call %[bpf_map_update_elem]\n"
	"r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(hash8), HELPER(map_update_elem)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
