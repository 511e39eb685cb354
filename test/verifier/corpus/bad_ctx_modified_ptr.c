/* ctx fields must be read through the unmodified ctx pointer. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 += 4\n"
	"r0 = *(u32 *)(r1 + 0)\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
