/* Destination register r11 (raw: r11 = 0). */
#include "corpus.h"

SEC("xdp") NAKED int prog(struct xdp_md *ctx)
{
	asm volatile(
	"r0 = 2\n"
	".quad 0x00000000000000b7 | 0x0b00\n"
	"exit\n"
	:
	: 
	: "memory");
}

char LICENSE[] SEC("license") = "GPL";
