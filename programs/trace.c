/* bpf_printk: three arguments or fewer compile to bpf_trace_printk (GPL-only), more to
 * bpf_trace_vprintk. Output goes to the trace pipe (xdpjit: `trace` events). ARP frames are logged and
 * dropped; every other frame is logged with its length and passed. */
#include "parse.h"

SEC("xdp")
int trace(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	__u32 len = ctx->data_end - ctx->data;

	cursor_init(&c, ctx);
	int proto = parse_eth(&c, &eth);
	if (proto == ETH_P_ARP) {
		bpf_printk("xdpjit arp len=%u", len);
		return XDP_DROP;
	}
	bpf_printk("xdpjit frame if=%u q=%u proto=0x%x len=%u", ctx->ingress_ifindex, ctx->rx_queue_index,
		   proto, len);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
