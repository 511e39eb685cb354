/* cpu v4 instructions (raw, clang-16 cannot emit them): movsx, sdiv, smod, ldsx, bswap. */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + 12)\n"
	"r1 = 0\n"
	"*(u64 *)(r10 - 8) = r1\n"
	".quad 0x00000000000823bf\n"
	".quad 0x0000000300010337\n"
	".quad 0x0000000500010397\n"
	".quad 0x00000000fff8a491\n"
	".quad 0x00000010000003d7\n"
	"r0 = r3\n"
	"r0 += r4\n"
	"r0 &= 3\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
