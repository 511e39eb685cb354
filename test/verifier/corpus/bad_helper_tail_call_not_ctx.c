/* bpf_tail_call needs ctx in r1. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = 0\n"
	"r2 = %[jmp_table] ll\n"
	"r3 = 0\n"
	"call %[bpf_tail_call]\n"
	"r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(jmp_table), HELPER(tail_call)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
