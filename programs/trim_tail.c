/* bpf_xdp_adjust_tail both ways, multi-buffer aware (SEC("xdp.frags")): frames whose total length
 * (bpf_xdp_get_buff_len, fragments included) exceeds max_len are shrunk to max_len and sent back (TX);
 * frames under 60 bytes are grown by 4 bytes into the tailroom, the new bytes written as a 0xa5 trailer,
 * and passed; everything else passes untouched. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 max_len = 1024;

#define TRAILER 4

SEC("xdp.frags")
int trim_tail(struct xdp_md *ctx)
{
	__u64 total = bpf_xdp_get_buff_len(ctx);

	if (total > max_len) {
		if (bpf_xdp_adjust_tail(ctx, (int)max_len - (int)total))
			return XDP_ABORTED;
		return XDP_TX;
	}
	if (total < 60) {
		if (bpf_xdp_adjust_tail(ctx, TRAILER))
			return XDP_ABORTED;
		void *data = (void *)(long)ctx->data;
		void *data_end = (void *)(long)ctx->data_end;
		/* Pointer arithmetic on data_end is refused by the verifier: index from data with the old length. */
		__u8 *t = data + (total & 63);
		if ((void *)(t + TRAILER) > data_end)
			return XDP_ABORTED;
		for (int i = 0; i < TRAILER; i++)
			t[i] = 0xa5;
		return XDP_PASS;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
