/* Two frames of 320 bytes each exceed the shared 512-byte stack. */
#include "corpus.h"

static __attribute__((naked, noinline, used)) void sub(void)
{
	asm volatile(
	"r1 = 0\n"
	"*(u64 *)(r10 - 320) = r1\n"
	"r0 = 2\n"
	"exit\n"
	:
	: 
	: "memory");
}

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = 0\n"
	"*(u64 *)(r10 - 320) = r1\n"
	"call sub\n"
	"r0 = 2\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
