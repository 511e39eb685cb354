// Minimal: an XDP program reading the Ethernet type through an XDP dynptr (kfuncs bpf_dynptr_from_xdp /
// bpf_dynptr_slice, kernel 6.4+).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
extern int bpf_dynptr_from_xdp(struct xdp_md *xdp, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *ptr, __u32 offset, void *buffer, __u32 buffer__szk) __ksym;
SEC("xdp")
int drop_non_ip(struct xdp_md *ctx)
{
	struct bpf_dynptr pkt;
	__u8 scratch[2];
	__u8 *type;
	if (bpf_dynptr_from_xdp(ctx, 0, &pkt))
		return XDP_ABORTED;
	type = bpf_dynptr_slice(&pkt, 12, scratch, sizeof(scratch));
	if (!type)
		return XDP_DROP;
	return type[0] == 0x08 ? XDP_PASS : XDP_DROP;
}
char LICENSE[] SEC("license") = "GPL";
