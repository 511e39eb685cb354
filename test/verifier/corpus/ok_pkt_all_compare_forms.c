/* data + N against data_end in every comparison form and direction. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + 0)\n"
	"r3 = *(u32 *)(r1 + 4)\n"
	"r4 = r2\n"
	"r4 += 2\n"
	"r0 = 1\n"
	"if r4 > r3 goto l9_%=\n"
	"r0 = *(u8 *)(r2 + 1)\n"
	"r4 = r2\n"
	"r4 += 4\n"
	"if r3 < r4 goto l9_%=\n"
	"r0 = *(u8 *)(r2 + 3)\n"
	"r4 = r2\n"
	"r4 += 6\n"
	"if r4 >= r3 goto l9_%=\n"
	"r0 = *(u8 *)(r2 + 6)\n"
	"r4 = r2\n"
	"r4 += 8\n"
	"if r3 <= r4 goto l9_%=\n"
	"r0 = *(u8 *)(r2 + 8)\n"
	"r4 = r2\n"
	"r4 += 10\n"
	"if r4 <= r3 goto l1_%=\n"
	"goto l9_%=\n"
	"l1_%=: r0 = *(u8 *)(r2 + 9)\n"
	"r4 = r2\n"
	"r4 += 12\n"
	"if r3 >= r4 goto l2_%=\n"
	"goto l9_%=\n"
	"l2_%=: r0 = *(u8 *)(r2 + 11)\n"
	"r4 = r2\n"
	"r4 += 14\n"
	"if r4 < r3 goto l3_%=\n"
	"goto l9_%=\n"
	"l3_%=: r0 = *(u8 *)(r2 + 14)\n"
	"r4 = r2\n"
	"r4 += 16\n"
	"if r3 > r4 goto l4_%=\n"
	"goto l9_%=\n"
	"l4_%=: r0 = *(u8 *)(r2 + 16)\n"
	"r0 = 2\n"
	"l9_%=: exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
