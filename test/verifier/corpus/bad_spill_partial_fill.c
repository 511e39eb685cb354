/* A spilled pointer reloaded with a 4-byte load. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"*(u64 *)(r10 - 8) = r1\n"
	"r0 = *(u32 *)(r10 - 8)\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
