/* A callee reading r2 its caller never set. */
#include "corpus.h"

static __attribute__((naked, noinline, used)) void sub(void)
{
	asm volatile(
	"r0 = r2\n"
	"exit\n"
	:
	: 
	: "memory");
}

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = 1\n"
	"call sub\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
