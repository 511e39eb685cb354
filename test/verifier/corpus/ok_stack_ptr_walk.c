/* A stack pointer moved by constants stays a known fp offset. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = r10\n"
	"r1 += -16\n"
	"r1 += 8\n"
	"r2 = 3\n"
	"*(u64 *)(r1 + 0) = r2\n"
	"r0 = *(u64 *)(r10 - 8)\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
