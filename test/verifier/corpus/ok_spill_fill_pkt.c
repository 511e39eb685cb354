/* A checked packet pointer spilled to the stack and reloaded keeps its range. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + 0)\n"
	"r3 = *(u32 *)(r1 + 4)\n"
	"r4 = r2\n"
	"r4 += 8\n"
	"r0 = 1\n"
	"if r4 > r3 goto l0_%=\n"
	"*(u64 *)(r10 - 16) = r2\n"
	"r5 = *(u64 *)(r10 - 16)\n"
	"r0 = *(u32 *)(r5 + 4)\n"
	"r0 &= 3\n"
	"l0_%=: exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
