/* bpf_redirect_map needs a DEVMAP/CPUMAP/XSKMAP, not an ARRAY. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = %[arr8] ll\n"
	"r2 = 0\n"
	"r3 = 0\n"
	"call %[bpf_redirect_map]\n"
	"exit\n"
	:
	: IMM_ADDR(arr8), HELPER(redirect_map)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
