/* A jump 100 instructions past the end (raw: goto +100). */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r0 = 2\n"
	".quad 0x0000000000640005\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
