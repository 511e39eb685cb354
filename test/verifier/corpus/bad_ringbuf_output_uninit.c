/* bpf_ringbuf_output of never-written stack: root may, strict may not. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = %[rb] ll\n"
	"r2 = r10\n"
	"r2 += -8\n"
	"r3 = 8\n"
	"r4 = 0\n"
	"call %[bpf_ringbuf_output]\n"
	"r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(rb), HELPER(ringbuf_output)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
