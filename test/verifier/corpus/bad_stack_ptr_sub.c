/* r10 - 8 written as a subtraction: the kernel refuses subtracting from a stack pointer. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = r10\n"
	"r1 -= 8\n"
	"r2 = 0\n"
	"*(u64 *)(r1 + 0) = r2\n"
	"r0 = 2\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
