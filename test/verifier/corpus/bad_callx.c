/* callx (indirect call through a register) is not a kernel instruction (raw). */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = 5\n"
	".quad 0x000000000000028d\n"
	"r0 = 2\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
