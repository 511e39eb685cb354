// Minimal: a map whose max_entries is left for the loader to set (skeleton style, bpf_map__set_max_entries
// before load, as xdp-bench sizes its per-CPU stats arrays); loaded as it is, it has max_entries 0.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
} per_cpu_hits SEC(".maps");
SEC("xdp")
int count_per_cpu(struct xdp_md *ctx)
{
	__u32 k = bpf_get_smp_processor_id();
	__u64 *v = bpf_map_lookup_elem(&per_cpu_hits, &k);
	if (!v)
		return XDP_PASS;
	*v += 1;
	return XDP_DROP;
}
char LICENSE[] SEC("license") = "GPL";
