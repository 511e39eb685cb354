/* bpf_xdp_load_bytes with an unbounded length. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r4 = *(u32 *)(r1 + 12)\n"
	"r2 = 0\n"
	"r3 = r10\n"
	"r3 += -8\n"
	"call %[bpf_xdp_load_bytes]\n"
	"r0 = 2\n"
	"exit\n"
	:
	: HELPER(xdp_load_bytes)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
