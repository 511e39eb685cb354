/* bpf_xdp_adjust_meta: reserves 8 bytes of metadata in front of the packet, writes a mark derived from the
 * frame (EtherType and length), then reads it back through ctx->data_meta and decides on it: the metadata
 * is what a later program (or AF_XDP consumer) would see. Mark bit 0 set (odd-length frame) → DROP, ARP → TX,
 * otherwise PASS. */
#include "parse.h"

struct meta {
	__u32 mark;
	__u16 eth_proto;
	__u16 len;
};

SEC("xdp")
int meta_mark(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u16 proto = 0;
	__u32 len = data_end - data;

	if ((void *)(eth + 1) <= data_end)
		proto = bpf_ntohs(eth->h_proto);

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct meta)))
		return XDP_ABORTED;

	/* adjust_meta invalidated every packet pointer: reload them. */
	void *meta_start = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	struct meta *m = meta_start;
	if ((void *)(m + 1) > data)
		return XDP_ABORTED;
	m->mark = 0x4d000000 | (proto << 8) | (len & 0xff);
	m->eth_proto = proto;
	m->len = len;

	struct meta *r = (void *)(long)ctx->data_meta;
	if ((void *)(r + 1) > (void *)(long)ctx->data)
		return XDP_ABORTED;
	if (r->mark & 1)
		return XDP_DROP;
	if (r->eth_proto == ETH_P_ARP)
		return XDP_TX;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
