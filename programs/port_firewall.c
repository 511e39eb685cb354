/* UDP/TCP destination-port blocklist over IPv4 and IPv6. A HASH holds the blocked ports (key: u16 port in
 * host order), a PERCPU_HASH counts hits per blocked port. Blocked → DROP, everything else → PASS. */
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u8);
} blocked_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u64);
} port_hits SEC(".maps");

SEC("xdp")
int port_firewall(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;

	cursor_init(&c, ctx);
	int eth_proto = parse_eth(&c, &eth);
	if (eth_proto < 0)
		return XDP_PASS;
	int proto = parse_l3(&c, eth_proto, &ip, &ip6);
	if (proto < 0)
		return XDP_PASS;
	int port = l4_dst_port(&c, proto);
	if (port < 0)
		return XDP_PASS;

	__u16 key = port;
	if (!bpf_map_lookup_elem(&blocked_ports, &key))
		return XDP_PASS;

	__u64 *hits = bpf_map_lookup_elem(&port_hits, &key);
	if (hits) {
		*hits += 1;
	} else {
		__u64 one = 1;
		bpf_map_update_elem(&port_hits, &key, &one, BPF_NOEXIST);
	}
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
