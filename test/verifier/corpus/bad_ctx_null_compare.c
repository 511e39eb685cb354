/* ctx compared with 0: the kernel explores the NULL side too. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r0 = 2\n"
	"if r1 != 0 goto l0_%=\n"
	"r0 = *(u64 *)(r0 + 0)\n"
	"l0_%=: exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
