/* Bounds learned from comparing two registers (i < n, n <= 8). */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r6 = *(u32 *)(r1 + 12)\n"
	"r7 = *(u32 *)(r1 + 16)\n"
	"r1 = 0\n"
	"*(u32 *)(r10 - 4) = r1\n"
	"r2 = r10\n"
	"r2 += -4\n"
	"r1 = %[arr8] ll\n"
	"call %[bpf_map_lookup_elem]\n"
	"if r0 == 0 goto l0_%=\n"
	"if r7 > 8 goto l0_%=\n"
	"if r6 >= r7 goto l0_%=\n"
	"r0 += r6\n"
	"r1 = *(u8 *)(r0 + 0)\n"
	"l0_%=: r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(arr8), HELPER(map_lookup_elem)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
