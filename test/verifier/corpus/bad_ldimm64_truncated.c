/* A 64-bit immediate load whose second slot is a real instruction (raw). */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	".quad 0x0000000000000018\n"
	"r0 = 2\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
