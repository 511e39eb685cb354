/* An uninitialised stack buffer passed as a map key: accepted for root only. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = r10\n"
	"r2 += -4\n"
	"r1 = %[hash8] ll\n"
	"call %[bpf_map_delete_elem]\n"
	"r0 = 2\n"
	"exit\n"
	:
	: IMM_ADDR(hash8), HELPER(map_delete_elem)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
