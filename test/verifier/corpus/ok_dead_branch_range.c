/* A branch made impossible by a bound (r2 < 16 then r2 > 100). */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + 12)\n"
	"r0 = 2\n"
	"if r2 > 15 goto l1_%=\n"
	"if r2 > 100 goto l0_%=\n"
	"exit\n"
	"l0_%=: r0 = *(u64 *)(r2 + 0)\n"
	"l1_%=: exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
