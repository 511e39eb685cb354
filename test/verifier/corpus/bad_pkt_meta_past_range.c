/* data_meta + 4 <= data proven, 8 bytes read. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + 8)\n"
	"r3 = *(u32 *)(r1 + 0)\n"
	"r4 = r2\n"
	"r4 += 4\n"
	"r0 = 2\n"
	"if r4 > r3 goto l0_%=\n"
	"r0 = *(u64 *)(r2 + 0)\n"
	"r0 &= 3\n"
	"l0_%=: exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
