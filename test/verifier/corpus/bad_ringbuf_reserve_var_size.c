/* bpf_ringbuf_reserve needs a constant size. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + 12)\n"
	"r2 &= 63\n"
	"r1 = %[rb] ll\n"
	"r3 = 0\n"
	"call %[bpf_ringbuf_reserve]\n"
	"if r0 == 0 goto l0_%=\n"
	"r1 = r0\n"
	"r2 = 0\n"
	"call %[bpf_ringbuf_discard]\n"
	"l0_%=: r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(rb), HELPER(ringbuf_reserve), HELPER(ringbuf_discard)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
