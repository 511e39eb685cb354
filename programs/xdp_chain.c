/* Two programs for a libxdp-style chain (multi-prog dispatcher). Each declares its run config the way
 * libxdp's xdp_helpers.h does: XDP_RUN_CONFIG(prog) names a struct `_prog` in SEC(".xdp_run_config")
 * whose members are BTF-encoded integers (__uint): `priority`, and one member per XDP action whose value 1
 * means "continue the chain after this action" (chain_call_actions). Lower priority runs first.
 *   chain_filter (priority 10, continue on PASS): drops IPv6, passes the rest on.
 *   chain_count  (priority 20, continue on PASS and DROP): counts per EtherType class, drops ARP. */
#include "parse.h"

/* libxdp: lib/libxdp/xdp_helpers.h */
#define _CONCAT(x, y) x##y
#define XDP_RUN_CONFIG(f) _CONCAT(_, f) SEC(".xdp_run_config")

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} chain_seen SEC(".maps");

SEC("xdp")
int chain_filter(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;

	cursor_init(&c, ctx);
	return parse_eth(&c, &eth) == ETH_P_IPV6 ? XDP_DROP : XDP_PASS;
}

struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(chain_filter);

SEC("xdp")
int chain_count(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;

	cursor_init(&c, ctx);
	int proto = parse_eth(&c, &eth);
	__u32 key = proto == ETH_P_IP ? 0 : proto == ETH_P_ARP ? 1 : 2;
	__u64 *n = bpf_map_lookup_elem(&chain_seen, &key);
	if (n)
		*n += 1;
	return proto == ETH_P_ARP ? XDP_DROP : XDP_PASS;
}

struct {
	__uint(priority, 20);
	__uint(XDP_PASS, 1);
	__uint(XDP_DROP, 1);
} XDP_RUN_CONFIG(chain_count);

char LICENSE[] SEC("license") = "Dual BSD/GPL";
