/* A pointer moved back by a constant keeps the proven range. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + 0)\n"
	"r3 = *(u32 *)(r1 + 4)\n"
	"r4 = r2\n"
	"r4 += 20\n"
	"r0 = 1\n"
	"if r4 > r3 goto l0_%=\n"
	"r4 += -6\n"
	"r0 = *(u32 *)(r4 + 0)\n"
	"r0 &= 3\n"
	"l0_%=: exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
