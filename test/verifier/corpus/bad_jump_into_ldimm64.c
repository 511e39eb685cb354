/* A jump into the second slot of a 64-bit immediate load. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r0 = 2\n"
	"if r0 == 0 goto +1\n"
	"r1 = 0 ll\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
