/* REJECTED: reads the EtherType without comparing against data_end first (kernel: check_packet_access,
 * "invalid access to packet"). */
#include "../parse.h"

SEC("xdp")
int pkt_no_bounds(struct xdp_md *ctx)
{
	struct ethhdr *eth = (void *)(long)ctx->data;
	return eth->h_proto == bpf_htons(ETH_P_IP) ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
