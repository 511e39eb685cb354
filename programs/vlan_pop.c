/* Pops the outer 802.1Q / 802.1ad tag: the MAC addresses move 4 bytes towards the payload (memmove over the
 * overlapping range), then bpf_xdp_adjust_head(+4) drops the now-stale first 4 bytes. Tagged frames go back
 * out untagged (XDP_TX); untagged frames pass; a truncated tag is dropped. */
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} popped SEC(".maps");

SEC("xdp")
int vlan_pop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	__u16 proto = bpf_ntohs(eth->h_proto);
	if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
		return XDP_PASS;
	if (data + sizeof(*eth) + sizeof(struct vlan_hdr) > data_end)
		return XDP_DROP;

	__builtin_memmove(data + sizeof(struct vlan_hdr), data, 2 * ETH_ALEN);
	if (bpf_xdp_adjust_head(ctx, (int)sizeof(struct vlan_hdr)))
		return XDP_ABORTED;

	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&popped, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
