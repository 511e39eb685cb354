/* A variable-offset stack write inside an initialised buffer: root only. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = 0\n"
	"*(u64 *)(r10 - 8) = r2\n"
	"*(u64 *)(r10 - 16) = r2\n"
	"r6 = *(u32 *)(r1 + 12)\n"
	"r6 &= 7\n"
	"r3 = r10\n"
	"r3 += -16\n"
	"r3 += r6\n"
	"r4 = 1\n"
	"*(u8 *)(r3 + 0) = r4\n"
	"r0 = *(u64 *)(r10 - 16)\n"
	"r0 &= 3\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
