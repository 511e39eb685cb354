/* bpf_tail_call needs a PROG_ARRAY, not an ARRAY. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = %[arr8] ll\n"
	"r3 = 0\n"
	"call %[bpf_tail_call]\n"
	"r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(arr8), HELPER(tail_call)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
