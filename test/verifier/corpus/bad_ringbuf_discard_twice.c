/* A reservation released twice. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = %[rb] ll\n"
	"r2 = 8\n"
	"r3 = 0\n"
	"call %[bpf_ringbuf_reserve]\n"
	"if r0 == 0 goto l0_%=\n"
	"r6 = r0\n"
	"r1 = r0\n"
	"r2 = 0\n"
	"call %[bpf_ringbuf_discard]\n"
	"r1 = r6\n"
	"r2 = 0\n"
	"call %[bpf_ringbuf_discard]\n"
	"l0_%=: r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(rb), HELPER(ringbuf_reserve), HELPER(ringbuf_discard)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
