/* Reserve, fill every byte, submit. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = %[rb] ll\n"
	"r2 = 16\n"
	"r3 = 0\n"
	"call %[bpf_ringbuf_reserve]\n"
	"if r0 == 0 goto l0_%=\n"
	"r1 = 1\n"
	"*(u64 *)(r0 + 0) = r1\n"
	"*(u64 *)(r0 + 8) = r1\n"
	"r1 = r0\n"
	"r2 = 0\n"
	"call %[bpf_ringbuf_submit]\n"
	"l0_%=: r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(rb), HELPER(ringbuf_reserve), HELPER(ringbuf_submit)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
