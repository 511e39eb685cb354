/* Random sampling with bpf_get_prandom_u32: about one frame in `sample_every` (.rodata, default 4) is
 * dropped and counted; frames of 60 bytes or less are never sampled, so part of the verdict is
 * deterministic. Run with xdpjit's seed to compare (design.md §4b). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 sample_every = 4;

__u64 sampled;
__u64 last_random;

SEC("xdp")
int prandom(struct xdp_md *ctx)
{
	if (ctx->data_end - ctx->data <= 60)
		return XDP_PASS;
	__u32 r = bpf_get_prandom_u32();
	last_random = r;
	if (sample_every && r % sample_every == 0) {
		__sync_fetch_and_add(&sampled, 1);
		return XDP_DROP;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
