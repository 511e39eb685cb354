/* bpf_xdp_adjust_head needs the unmodified ctx pointer. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 += 4\n"
	"r2 = 4\n"
	"call %[bpf_xdp_adjust_head]\n"
	"r0 = 2\n"
	"exit\n"
	:
	: HELPER(xdp_adjust_head)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
