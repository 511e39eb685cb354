/* data + 14 <= data_end proven, then a 4-byte load at offset 12 reads bytes 12..15. */
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
	"r0 = *(u32 *)(r2 + 12)\n"
	"l0_%=: exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
