/* bpf_xdp_load_bytes with length 0 (ARG_CONST_SIZE must be > 0). */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = 0\n"
	"r3 = r10\n"
	"r3 += -8\n"
	"r4 = 0\n"
	"call %[bpf_xdp_load_bytes]\n"
	"r0 = 2\n"
	"exit\n"
	:
	: HELPER(xdp_load_bytes)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
