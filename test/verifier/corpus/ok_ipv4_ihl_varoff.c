/* A variable IPv4 header length (ihl * 4), re-checked against data_end before the UDP header. */
#include "corpus.h"

SEC("xdp") int prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end) return XDP_PASS;
	unsigned ihl = ip->ihl * 4;
	if (ihl < sizeof(*ip)) return XDP_DROP;
	struct udphdr *udp = (void *)ip + ihl;
	if ((void *)(udp + 1) > end) return XDP_PASS;
	return udp->dest == bpf_htons(53) ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
