/* A packet offset that may be negative (signed bound only from above). */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + 0)\n"
	"r3 = *(u32 *)(r1 + 4)\n"
	"r4 = r2\n"
	"r4 += 64\n"
	"r0 = 1\n"
	"if r4 > r3 goto l0_%=\n"
	"r5 = *(u8 *)(r2 + 0)\n"
	"r5 <<= 56\n"
	"r5 s>>= 56\n"
	"if r5 s> 32 goto l0_%=\n"
	"r2 += r5\n"
	"r0 = *(u8 *)(r2 + 0)\n"
	"l0_%=: exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
