/* A branch on a known constant: the unsafe side is never explored. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r0 = 2\n"
	"if r0 == 3 goto l0_%=\n"
	"exit\n"
	"l0_%=: r0 = *(u64 *)(r0 + 0)\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
