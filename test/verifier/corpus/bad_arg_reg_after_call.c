/* r1 is clobbered by a helper call and read after it. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"call %[bpf_ktime_get_ns]\n"
	"r0 = r1\n"
	"exit\n"
	:
	: HELPER(ktime_get_ns)
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
