/* The last instruction is a conditional jump: execution can fall off the end. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r0 = 2\n"
	"if r0 == 2 goto -2\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
