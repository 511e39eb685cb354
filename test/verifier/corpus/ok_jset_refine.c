/* JSET (raw: if r2 & 8 goto +1) on a value masked with 6 can never be taken. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + 12)\n"
	"r2 &= 6\n"
	"r0 = 2\n"
	".quad 0x0000000800010245\n"
	"exit\n"
	"r0 = *(u64 *)(r2 + 0)\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
