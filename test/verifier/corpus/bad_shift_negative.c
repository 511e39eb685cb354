/* A shift by -1. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r0 = 2\n"
	"w0 <<= -1\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
