/* A Bloom filter small enough to give false positives often (3 entries → the 64-bit minimum bitset,
 * 2 hash functions from map_extra), with BPF_F_ZERO_SEED so its bits are reproducible: each frame's
 * verdict says whether the filter claimed its IPv4 source (PASS) or not (DROP, and the source is added).
 * Compiled by bloom-kernel.test.ts at test time; not a sample program. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 3);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__uint(map_extra, 2);
	__type(value, __u32);
} seen SEC(".maps");

SEC("xdp")
int bloom_zero_seed(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_ABORTED;
	__u32 src = ip->saddr;
	if (bpf_map_peek_elem(&seen, &src) == 0)
		return XDP_PASS;
	bpf_map_push_elem(&seen, &src, BPF_ANY);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
