/* A NULL check against a register holding 0. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = 0\n"
	"*(u32 *)(r10 - 4) = r1\n"
	"r2 = r10\n"
	"r2 += -4\n"
	"r1 = %[arr8] ll\n"
	"call %[bpf_map_lookup_elem]\n"
	"r1 = 0\n"
	"if r0 == r1 goto l0_%=\n"
	"r1 = *(u64 *)(r0 + 0)\n"
	"l0_%=: r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(arr8), HELPER(map_lookup_elem)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
