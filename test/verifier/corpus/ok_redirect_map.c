/* bpf_redirect_map into a devmap-less program returns its flags (XDP_PASS fallback). */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = 0\n"
	"r2 = 0\n"
	"call %[bpf_redirect]\n"
	"exit\n"
	:
	: HELPER(redirect)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
