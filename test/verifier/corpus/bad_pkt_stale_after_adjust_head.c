/* bpf_xdp_adjust_head invalidates packet pointers checked before it. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r6 = r1\n"
	"r2 = *(u32 *)(r1 + 0)\n"
	"r3 = *(u32 *)(r1 + 4)\n"
	"r7 = r2\n"
	"r4 = r2\n"
	"r4 += 14\n"
	"r0 = 1\n"
	"if r4 > r3 goto l0_%=\n"
	"r1 = r6\n"
	"r2 = 4\n"
	"call %[bpf_xdp_adjust_head]\n"
	"r0 = *(u8 *)(r7 + 0)\n"
	"l0_%=: exit\n"
	:
	: HELPER(xdp_adjust_head)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
