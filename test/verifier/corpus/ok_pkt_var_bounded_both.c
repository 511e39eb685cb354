/* A bounded variable offset (0..32) into a 64-byte checked range... re-checked on the new pointer. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + 0)\n"
	"r3 = *(u32 *)(r1 + 4)\n"
	"r4 = r2\n"
	"r4 += 64\n"
	"r0 = 1\n"
	"if r4 > r3 goto l0_%=\n"
	"r5 = *(u8 *)(r2 + 0)\n"
	"r5 &= 31\n"
	"r2 += r5\n"
	"r4 = r2\n"
	"r4 += 8\n"
	"if r4 > r3 goto l0_%=\n"
	"r0 = *(u64 *)(r2 + 0)\n"
	"r0 &= 3\n"
	"l0_%=: exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
