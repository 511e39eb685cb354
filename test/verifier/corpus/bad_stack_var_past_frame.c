/* A variable-offset stack read that may reach above r10. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = 0\n"
	"*(u64 *)(r10 - 8) = r2\n"
	"r6 = *(u32 *)(r1 + 12)\n"
	"r6 &= 15\n"
	"r3 = r10\n"
	"r3 += -8\n"
	"r3 += r6\n"
	"r0 = *(u8 *)(r3 + 0)\n"
	"r0 = 2\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
