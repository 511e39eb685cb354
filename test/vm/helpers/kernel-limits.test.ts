/**
 * The xdp_buff helpers' limits against the running kernel (design.md §4b): a program probes
 * bpf_xdp_adjust_head/meta/tail around their edges (sizeof(struct xdp_frame), 32 bytes of metadata,
 * ETH_HLEN, the tailroom) and records every return value in an ARRAY; the kernel's BPF_PROG_TEST_RUN and
 * xdpjit must leave identical maps. Skips without clang-16, root or a working bpf().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseObject } from '../../../src/ebpf/loader.js';
import { readCapture } from '../../../src/dataplane/capture/read-capture.js';
import { kernelAvailable, runKernel } from '../../../src/oracle/index.js';
import { runCapture } from '../../../src/vm/runtime/run-capture.js';

const MIXED = fileURLToPath(new URL('../../../../pcaps/mixed.pcap', import.meta.url));

const LIMITS_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 40); __type(key, __u32); __type(value, __s64); } res SEC(".maps");
static __always_inline void put(__u32 k, __s64 v) { __s64 *p = bpf_map_lookup_elem(&res, &k); if (p) *p = v; }
SEC("xdp")
int limits(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	for (int i = 0; i < 16; i++) {
		long r = bpf_xdp_adjust_head(ctx, -(206 + i));
		put(i, r);
		if (r == 0) bpf_xdp_adjust_head(ctx, 206 + i);
	}
	for (int i = 0; i < 8; i++) {
		long r = bpf_xdp_adjust_meta(ctx, -(28 + i));
		put(16 + i, r);
		if (r == 0) bpf_xdp_adjust_meta(ctx, 28 + i);
	}
	if (len < 3520) {
		put(24, bpf_xdp_adjust_tail(ctx, 3520 - (int)len + 1));
		put(25, bpf_xdp_adjust_tail(ctx, 3520 - (int)len));
		put(26, bpf_xdp_adjust_tail(ctx, -(3520 - 13)));
		put(27, bpf_xdp_adjust_tail(ctx, -(3520 - 14)));
	}
	put(28, bpf_xdp_adjust_meta(ctx, -8));
	put(29, bpf_xdp_adjust_head(ctx, -200));
	put(30, bpf_xdp_adjust_head(ctx, -8));
	put(31, bpf_xdp_adjust_head(ctx, -1));
	put(32, bpf_xdp_get_buff_len(ctx));
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;

test('adjust_head/meta/tail limits and outputs agree with BPF_PROG_TEST_RUN', async (t) => {
  const kernel = await kernelAvailable();
  if (!kernel.ok) return t.skip(`kernel oracle unavailable: ${kernel.reason}`);
  const dir = mkdtempSync(join(tmpdir(), 'xdpjit-limits-'));
  try {
    writeFileSync(join(dir, 'limits.c'), LIMITS_C);
    try {
      await promisify(execFile)('clang-16', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', 'limits.c', '-o', 'limits.o'], { cwd: dir });
    } catch (e) {
      return t.skip(`cannot compile with clang-16: ${(e as Error).message.split('\n')[0]}`);
    }
    const obj = join(dir, 'limits.o');
    const k = await runKernel(obj, MIXED, { dumpMaps: true });
    const frames = readCapture(readFileSync(MIXED)).frames.map((f) => ({ data: f.data, tsNs: f.tsNs }));
    const x = await runCapture(parseObject(readFileSync(obj)), frames, { cpus: kernel.possibleCpus });
    assert.deepEqual(x.maps, k.maps);
    assert.deepEqual(x.frames.map((f) => [f.action, f.len, f.sha1]), k.frames.map((f) => [f.action, f.len, f.sha1]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
