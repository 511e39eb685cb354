/* Filter configured through `const volatile` globals in .rodata (set before load, like a libbpf skeleton):
 * drops frames shorter than min_len or longer than max_len, and IP frames of protocol drop_proto.
 * Counters live in .bss (zero-initialised) and .data (initialised, so the loader must copy the ELF bytes). */
#include "parse.h"

const volatile __u8 drop_proto = 255;	/* IPPROTO_RAW: never seen on the wire, so the default drops nothing */
const volatile __u32 min_len = 0;
const volatile __u32 max_len = 65535;

__u64 dropped_short;			/* .bss */
__u64 dropped_long;			/* .bss */
__u64 dropped_proto;			/* .bss */
__u64 passed = 1000;			/* .data: counts from 1000 so a loader that zeroes .data is caught */
__u32 data_magic = 0xfeedc0de;		/* .data */

SEC("xdp")
int rodata_filter(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	__u32 len = ctx->data_end - ctx->data;

	if (data_magic != 0xfeedc0de)
		return XDP_ABORTED;
	if (len < min_len) {
		__sync_fetch_and_add(&dropped_short, 1);
		return XDP_DROP;
	}
	if (len > max_len) {
		__sync_fetch_and_add(&dropped_long, 1);
		return XDP_DROP;
	}
	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	if (eth_proto >= 0) {
		int proto = parse_l3(&c, eth_proto, &ip, &ip6);
		if (proto >= 0 && proto == drop_proto) {
			__sync_fetch_and_add(&dropped_proto, 1);
			return XDP_DROP;
		}
	}
	__sync_fetch_and_add(&passed, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
