/* The 4-byte key at r10 - 2 runs past the frame. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = r10\n"
	"r2 += -2\n"
	"r1 = %[arr8] ll\n"
	"call %[bpf_map_lookup_elem]\n"
	"r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(arr8), HELPER(map_lookup_elem)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
