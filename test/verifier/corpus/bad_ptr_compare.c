/* Comparing the ctx pointer with a number: allowed for root, refused in strict mode. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r0 = 2\n"
	"if r1 > 100 goto l0_%=\n"
	"r0 = 1\n"
	"l0_%=: exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
