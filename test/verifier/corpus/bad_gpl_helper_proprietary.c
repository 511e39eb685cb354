/* bpf_trace_printk is GPL-only. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = 0\n"
	"*(u64 *)(r10 - 8) = r1\n"
	"r1 = r10\n"
	"r1 += -8\n"
	"r2 = 8\n"
	"call %[bpf_trace_printk]\n"
	"r0 = 2\n"
	"exit\n"
	:
	: HELPER(trace_printk)
	: "memory");
}

char LICENSE[] SEC("license") = "Proprietary";
