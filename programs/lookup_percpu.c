/* bpf_map_lookup_percpu_elem: each frame counts in this CPU's slot of a PERCPU_ARRAY, then sums the slot
 * over CPUs 0..MAX_CPUS-1 (a missing CPU yields NULL and is skipped). bpf_get_smp_processor_id picks
 * which per-CPU byte counter to bump. bpf_for_each_map_elem walks a small ARRAY of thresholds and the
 * verdict is DROP once the summed count passes any nonzero threshold, PASS before. */
#include "parse.h"

#define MAX_CPUS 8

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pkt_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_CPUS);
	__type(key, __u32);
	__type(value, __u64);
} bytes_by_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} thresholds SEC(".maps");

struct check_ctx {
	__u64 total;
	__u32 exceeded;
};

static long check_threshold(void *map, __u32 *key, __u64 *value, struct check_ctx *cc)
{
	if (*value && cc->total > *value) {
		cc->exceeded = 1;
		return 1;	/* stop the walk */
	}
	return 0;
}

SEC("xdp")
int lookup_percpu(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *mine = bpf_map_lookup_elem(&pkt_count, &zero);
	if (!mine)
		return XDP_ABORTED;
	*mine += 1;

	__u32 cpu = bpf_get_smp_processor_id();
	__u64 *b = bpf_map_lookup_elem(&bytes_by_cpu, &cpu);
	if (b)
		__sync_fetch_and_add(b, ctx->data_end - ctx->data);

	struct check_ctx cc = { 0 };
	for (__u32 i = 0; i < MAX_CPUS; i++) {
		__u64 *v = bpf_map_lookup_percpu_elem(&pkt_count, &zero, i);
		if (v)
			cc.total += *v;
	}
	bpf_for_each_map_elem(&thresholds, check_threshold, &cc, 0);
	return cc.exceeded ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
