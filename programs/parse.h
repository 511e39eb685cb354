/* Header parsing shared by the sample programs: a bounds-checked cursor over the linear part of the frame.
 * Every step compares against data_end before reading, as the kernel verifier demands (check_packet_access). */
#ifndef XDPJIT_PARSE_H
#define XDPJIT_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* 802.1Q / 802.1ad tag as it follows the MAC addresses (IEEE 802.1Q-2018 §9.3). */
struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct cursor {
	void *pos;
	void *end;
};

static __always_inline void cursor_init(struct cursor *c, struct xdp_md *ctx)
{
	c->pos = (void *)(long)ctx->data;
	c->end = (void *)(long)ctx->data_end;
}

/* Ethernet header and up to two VLAN tags (QinQ). Returns the innermost EtherType in host order, -1 if truncated. */
static __always_inline int parse_eth(struct cursor *c, struct ethhdr **eth_out)
{
	struct ethhdr *eth = c->pos;
	if ((void *)(eth + 1) > c->end)
		return -1;
	c->pos = eth + 1;
	*eth_out = eth;
	__u16 proto = bpf_ntohs(eth->h_proto);
	for (int i = 0; i < 2; i++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		struct vlan_hdr *vh = c->pos;
		if ((void *)(vh + 1) > c->end)
			return -1;
		c->pos = vh + 1;
		proto = bpf_ntohs(vh->encap_proto);
	}
	return proto;
}

/* IPv4 header including options (IHL > 5). Returns the protocol number, -1 if truncated or IHL < 5. */
static __always_inline int parse_ipv4(struct cursor *c, struct iphdr **ip_out)
{
	struct iphdr *ip = c->pos;
	if ((void *)(ip + 1) > c->end)
		return -1;
	__u32 hlen = ip->ihl * 4;
	if (hlen < sizeof(*ip))
		return -1;
	if (c->pos + hlen > c->end)
		return -1;
	c->pos += hlen;
	*ip_out = ip;
	return ip->protocol;
}

/* Fixed IPv6 header only (extension headers are the caller's business). Returns the next header, -1 if truncated. */
static __always_inline int parse_ipv6(struct cursor *c, struct ipv6hdr **ip6_out)
{
	struct ipv6hdr *ip6 = c->pos;
	if ((void *)(ip6 + 1) > c->end)
		return -1;
	c->pos = ip6 + 1;
	*ip6_out = ip6;
	return ip6->nexthdr;
}

/* L3 dispatch over IPv4 / IPv6. Returns the L4 protocol, -1 for truncated, -2 for non-IP. */
static __always_inline int parse_l3(struct cursor *c, int eth_proto, struct iphdr **ip, struct ipv6hdr **ip6)
{
	*ip = 0;
	*ip6 = 0;
	if (eth_proto == ETH_P_IP)
		return parse_ipv4(c, ip);
	if (eth_proto == ETH_P_IPV6)
		return parse_ipv6(c, ip6);
	return -2;
}

/* Destination port of a TCP or UDP header at the cursor (host order), -1 if truncated or another protocol. */
static __always_inline int l4_dst_port(struct cursor *c, int proto)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = c->pos;
		if ((void *)(th + 1) > c->end)
			return -1;
		return bpf_ntohs(th->dest);
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = c->pos;
		if ((void *)(uh + 1) > c->end)
			return -1;
		return bpf_ntohs(uh->dest);
	}
	return -1;
}

#endif
