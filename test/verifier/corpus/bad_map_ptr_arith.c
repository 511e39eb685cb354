/* A map pointer cannot be offset. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = %[arr8] ll\n"
	"r1 += 8\n"
	"r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(arr8)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
