/* Legacy packet loads are not allowed in XDP. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r6 = r1\n"
	"r0 = *(u8 *)skb[0]\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
