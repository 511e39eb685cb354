/* A RINGBUF cannot be read with bpf_map_lookup_elem. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = 0\n"
	"*(u32 *)(r10 - 4) = r1\n"
	"r2 = r10\n"
	"r2 += -4\n"
	"r1 = %[rb] ll\n"
	"call %[bpf_map_lookup_elem]\n"
	"r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(rb), HELPER(map_lookup_elem)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
