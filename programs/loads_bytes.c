/* bpf_xdp_load_bytes / bpf_xdp_store_bytes / bpf_xdp_get_buff_len on multi-buffer frames
 * (SEC("xdp.frags")): reads the last 16 bytes of the whole frame (which, in a jumbo frame, live in a
 * fragment the program cannot reach by pointer), XORs them into the source MAC and writes the source MAC
 * back with store_bytes; also stamps the frame's last byte. Frames shorter than 32 bytes are dropped;
 * frames whose tail bytes are all zero pass unmodified; others are modified and sent back (TX). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp.frags")
int loads_bytes(struct xdp_md *ctx)
{
	__u8 tail[16];
	__u8 mac[6];
	__u32 len = bpf_xdp_get_buff_len(ctx);

	if (len < 32)
		return XDP_DROP;
	if (bpf_xdp_load_bytes(ctx, len - sizeof(tail), tail, sizeof(tail)))
		return XDP_ABORTED;
	__u8 acc = 0;
	for (int i = 0; i < (int)sizeof(tail); i++)
		acc |= tail[i];
	if (!acc)
		return XDP_PASS;
	if (bpf_xdp_load_bytes(ctx, 6, mac, sizeof(mac)))
		return XDP_ABORTED;
	for (int i = 0; i < (int)sizeof(mac); i++)
		mac[i] ^= tail[i] ^ tail[i + 8];
	if (bpf_xdp_store_bytes(ctx, 6, mac, sizeof(mac)))
		return XDP_ABORTED;
	__u8 stamp = 0x5a;
	if (bpf_xdp_store_bytes(ctx, len - 1, &stamp, 1))
		return XDP_ABORTED;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
