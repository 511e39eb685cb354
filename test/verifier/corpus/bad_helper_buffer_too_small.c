/* bpf_xdp_load_bytes of 16 bytes into an 8-byte stack slot at the top of the frame. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = 0\n"
	"r3 = r10\n"
	"r3 += -8\n"
	"r4 = 16\n"
	"call %[bpf_xdp_load_bytes]\n"
	"r0 = 2\n"
	"exit\n"
	:
	: HELPER(xdp_load_bytes)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
