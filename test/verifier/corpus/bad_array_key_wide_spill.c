/* An 8-byte spill of 3 used as a 4-byte ARRAY key: kernel 6.18 takes no constant key from it, so the lookup may return NULL. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = 3\n"
	"*(u64 *)(r10 - 8) = r1\n"
	"r2 = r10\n"
	"r2 += -8\n"
	"r1 = %[arr8] ll\n"
	"call %[bpf_map_lookup_elem]\n"
	"r0 = *(u64 *)(r0 + 0)\n"
	"r0 &= 3\n"
	"exit\n"
	:
	: IMM_ADDR(arr8), HELPER(map_lookup_elem)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
