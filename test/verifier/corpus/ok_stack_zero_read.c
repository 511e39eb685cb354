/* Stack zeroed with a store of 0, then read back as a known zero. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = 0\n"
	"*(u64 *)(r10 - 8) = r1\n"
	"r0 = *(u32 *)(r10 - 4)\n"
	"r0 += 2\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
