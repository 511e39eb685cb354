/* An immediate-source ALU instruction with a nonzero src register field (raw). */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r0 = 2\n"
	".quad 0x0000000100000107 | 0x1000\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
