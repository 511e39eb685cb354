/* A callee returning a pointer into its own stack frame. */
#include "corpus.h"

static __attribute__((naked, noinline, used)) void sub(void)
{
	asm volatile(
	"r1 = 0\n"
	"*(u64 *)(r10 - 8) = r1\n"
	"r0 = r10\n"
	"r0 += -8\n"
	"exit\n"
	:
	: 
	: "memory");
}

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"call sub\n"
	"r0 = *(u64 *)(r0 + 0)\n"
	"r0 = 2\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
