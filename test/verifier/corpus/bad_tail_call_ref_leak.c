/* A tail call while a ring buffer reservation is held. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r6 = r1\n"
	"r1 = %[rb] ll\n"
	"r2 = 8\n"
	"r3 = 0\n"
	"call %[bpf_ringbuf_reserve]\n"
	"if r0 == 0 goto l0_%=\n"
	"r7 = r0\n"
	"r1 = r6\n"
	"r2 = %[jmp_table] ll\n"
	"r3 = 0\n"
	"call %[bpf_tail_call]\n"
	"r1 = r7\n"
	"r2 = 0\n"
	"call %[bpf_ringbuf_submit]\n"
	"l0_%=: r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(rb), HELPER(ringbuf_reserve), HELPER(ringbuf_submit), IMM_ADDR(jmp_table), HELPER(tail_call)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
