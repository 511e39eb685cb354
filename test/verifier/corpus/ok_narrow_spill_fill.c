/* A bounded index spilled as 4 bytes and refilled keeps its bound (kernel: <8-byte scalar spill). */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r6 = *(u32 *)(r1 + 12)\n"
	"r6 &= 7\n"
	"*(u32 *)(r10 - 8) = r6\n"
	"r1 = 0\n"
	"*(u32 *)(r10 - 12) = r1\n"
	"r2 = r10\n"
	"r2 += -12\n"
	"r1 = %[arr8] ll\n"
	"call %[bpf_map_lookup_elem]\n"
	"if r0 == 0 goto l0_%=\n"
	"r7 = *(u32 *)(r10 - 8)\n"
	"r0 += r7\n"
	"r1 = *(u8 *)(r0 + 0)\n"
	"l0_%=: r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(arr8), HELPER(map_lookup_elem)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
