/* Atomic add and exchange on an initialised stack slot. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r1 = 5\n"
	"*(u64 *)(r10 - 8) = r1\n"
	"r2 = 1\n"
	"lock *(u64 *)(r10 - 8) += r2\n"
	"r3 = 7\n"
	".quad 0x00000001fff83adb\n"
	"r0 = *(u64 *)(r10 - 8)\n"
	"r0 &= 3\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
