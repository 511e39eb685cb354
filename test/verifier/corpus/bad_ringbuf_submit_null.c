/* Submitting the reservation without a NULL check. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = %[rb] ll\n"
	"r2 = 8\n"
	"r3 = 0\n"
	"call %[bpf_ringbuf_reserve]\n"
	"r1 = r0\n"
	"r2 = 0\n"
	"call %[bpf_ringbuf_submit]\n"
	"r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(rb), HELPER(ringbuf_reserve), HELPER(ringbuf_submit)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
