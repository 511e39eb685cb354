/* Clock helpers: bpf_ktime_get_ns, bpf_ktime_get_boot_ns, bpf_ktime_get_coarse_ns, bpf_jiffies64.
 * Each reading is kept in .bss; a clock that went backwards since the previous frame → ABORTED (none
 * should); boot time below monotonic time → ABORTED (boot includes suspend, so it is never less);
 * otherwise PASS. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 last_mono;
__u64 last_boot;
__u64 last_coarse;
__u64 last_jiffies;

SEC("xdp")
int clocks(struct xdp_md *ctx)
{
	__u64 mono = bpf_ktime_get_ns();
	__u64 boot = bpf_ktime_get_boot_ns();
	__u64 coarse = bpf_ktime_get_coarse_ns();
	__u64 jiffies = bpf_jiffies64();
	int backwards = mono < last_mono || boot < last_boot || coarse < last_coarse || jiffies < last_jiffies;

	last_mono = mono;
	last_boot = boot;
	last_coarse = coarse;
	last_jiffies = jiffies;
	if (backwards || boot < mono)
		return XDP_ABORTED;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
