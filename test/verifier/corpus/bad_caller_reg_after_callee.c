/* r2 is clobbered by a bpf-to-bpf call. */
#include "corpus.h"

static __attribute__((naked, noinline, used)) void sub(void)
{
	asm volatile(
	"r0 = 0\n"
	"exit\n"
	:
	: 
	: "memory");
}

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = 1\n"
	"call sub\n"
	"r0 = r2\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
