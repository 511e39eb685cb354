/* bpf_check_mtu against the ingress device (ifindex 0 = ctx's device): frames that would not fit are
 * dropped, the others pass; the MTU the kernel reports is kept in .bss. Depends on the host's MTU
 * (design.md §4b); lo has 65536, so against lo only the result code path is exercised. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u32 last_mtu;
__u64 too_big;

SEC("xdp")
int check_mtu(struct xdp_md *ctx)
{
	__u32 mtu_len = 0;
	long rc = bpf_check_mtu(ctx, 0, &mtu_len, 0, 0);

	last_mtu = mtu_len;
	if (rc == BPF_MTU_CHK_RET_FRAG_NEEDED) {
		__sync_fetch_and_add(&too_big, 1);
		return XDP_DROP;
	}
	if (rc < 0)
		return XDP_ABORTED;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
