/* A 2-byte store at offset 13 of a 14-byte range. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + 0)\n"
	"r3 = *(u32 *)(r1 + 4)\n"
	"r4 = r2\n"
	"r4 += 14\n"
	"r0 = 1\n"
	"if r4 > r3 goto l0_%=\n"
	"r5 = 0\n"
	"*(u16 *)(r2 + 13) = r5\n"
	"l0_%=: exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
