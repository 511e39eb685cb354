// Minimal: an XDP program in a section libbpf 1.x does not recognise (pre-1.0 "xdp_*" prefix matching).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp_pass_all")
int pass_all(struct xdp_md *ctx)
{
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
