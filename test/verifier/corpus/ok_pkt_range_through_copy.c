/* The range proven on one copy of a packet pointer holds for the other copy. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + 0)\n"
	"r3 = *(u32 *)(r1 + 4)\n"
	"r5 = r2\n"
	"r4 = r2\n"
	"r4 += 14\n"
	"r0 = 1\n"
	"if r4 > r3 goto l0_%=\n"
	"r0 = *(u16 *)(r5 + 12)\n"
	"r0 &= 3\n"
	"l0_%=: exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
