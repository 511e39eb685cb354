/* A callee receiving a checked packet pointer reads within its range. */
#include "corpus.h"

static __attribute__((naked, noinline, used)) void sub(void)
{
	asm volatile(
	"r0 = *(u8 *)(r1 + 13)\n"
	"r0 &= 3\n"
	"exit\n"
	:
	: 
	: "memory");
}

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + 0)\n"
	"r3 = *(u32 *)(r1 + 4)\n"
	"r4 = r2\n"
	"r4 += 14\n"
	"r0 = 1\n"
	"if r4 > r3 goto l0_%=\n"
	"r1 = r2\n"
	"call sub\n"
	"l0_%=: exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
