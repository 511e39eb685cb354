/**
 * Small XDP programs the oracle tests compile at test time (clang-16 -target bpf), each with a known result
 * on known frames, plus the frames themselves.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/**
 * `classify` counts frames per EtherType (HASH) and in total (PERCPU_ARRAY slot 0), swaps the MAC addresses
 * of IPv4 frames and returns the `.rodata` verdict for them, tail-calls `jumps[0]` for IPv6 (`tailee`
 * returns the unknown action 7), and passes the rest.
 */
export const CLASSIFY_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16); __type(key, __u16); __type(value, __u64); } by_proto SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, __u64); } pkts SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u32); } jumps SEC(".maps");
const volatile __u32 verdict_for_ip = XDP_TX;
SEC("xdp") int classify(struct xdp_md *ctx) {
  unsigned char *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;
  __u32 zero = 0;
  __u64 *c = bpf_map_lookup_elem(&pkts, &zero);
  if (c) (*c)++;
  if (d + 14 > e) return XDP_DROP;
  __u16 proto = *(__u16 *)(d + 12);
  __u64 one = 1, *v = bpf_map_lookup_elem(&by_proto, &proto);
  if (v) __sync_fetch_and_add(v, 1); else bpf_map_update_elem(&by_proto, &proto, &one, BPF_ANY);
  if (proto == 0x0008) {
    unsigned char t[6];
    __builtin_memcpy(t, d, 6); __builtin_memcpy(d, d + 6, 6); __builtin_memcpy(d + 6, t, 6);
    return verdict_for_ip;
  }
  if (proto == 0xdd86) bpf_tail_call(ctx, &jumps, 0);
  return XDP_PASS;
}
SEC("xdp") int tailee(struct xdp_md *ctx) { return 7; }
char LICENSE[] SEC("license") = "GPL";
`;

/** Reads the packet without a bounds check: every kernel rejects it. */
export const UNCHECKED_READ_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp") int unchecked(struct xdp_md *ctx) {
  unsigned char *d = (void *)(long)ctx->data;
  return d[20] == 1 ? XDP_DROP : XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** Stores a packet pointer into a map value: accepted with CAP_PERFMON, a pointer leak without it. */
export const POINTER_LEAK_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } slot SEC(".maps");
SEC("xdp") int leak(struct xdp_md *ctx) {
  __u32 zero = 0;
  __u64 *v = bpf_map_lookup_elem(&slot, &zero);
  if (v) *v = (__u64)(long)ctx->data;
  return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** An Ethernet frame: destination 01..06, source 07..0c, then `etherType` and `payloadLen` zero bytes. */
export function ethernetFrame(etherType: number, payloadLen: number): Uint8Array {
  const f = new Uint8Array(14 + payloadLen);
  for (let i = 0; i < 12; i++) f[i] = i + 1;
  f[12] = etherType >> 8;
  f[13] = etherType & 0xff;
  return f;
}

export interface Workdir {
  readonly dir: string;
  /** Compiles C source to `<name>.o` in the work dir and returns its path. */
  compile(name: string, source: string): Promise<string>;
  write(name: string, content: string | Uint8Array): Promise<string>;
  remove(): Promise<void>;
}

export async function makeWorkdir(): Promise<Workdir> {
  const dir = await mkdtemp(join(tmpdir(), 'xdpjit-oracle-test-'));
  return {
    dir,
    async compile(name, source) {
      const src = join(dir, `${name}.c`);
      const obj = join(dir, `${name}.o`);
      await writeFile(src, source);
      await execFileP('clang-16', ['-O2', '-g', '-target', 'bpf', '-fdebug-compilation-dir=.', '-I/usr/include/x86_64-linux-gnu', '-c', src, '-o', obj], { cwd: dir });
      return obj;
    },
    async write(name, content) {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Why the kernel-oracle tests cannot run here, or undefined when they can. */
export async function clangMissing(): Promise<string | undefined> {
  try {
    await execFileP('clang-16', ['--version']);
    return undefined;
  } catch {
    return 'clang-16 is not installed (scripts/install-deps.sh)';
  }
}

/** Reserves 8 bytes of metadata and fills them: the frame that leaves is unchanged. */
export const META_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp") int meta(struct xdp_md *ctx) {
  if (bpf_xdp_adjust_meta(ctx, -8)) return XDP_ABORTED;
  __u64 *m = (void *)(long)ctx->data_meta;
  if ((void *)(m + 1) > (void *)(long)ctx->data) return XDP_ABORTED;
  *m = 0x1122334455667788ULL;
  return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** Inserts each frame's EtherType into a 4-entry LRU_HASH. */
export const LRU_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 4); __type(key, __u16); __type(value, __u64); } recent SEC(".maps");
SEC("xdp") int lru(struct xdp_md *ctx) {
  unsigned char *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;
  if (d + 14 > e) return XDP_DROP;
  __u16 proto = *(__u16 *)(d + 12);
  __u64 one = 1;
  bpf_map_update_elem(&recent, &proto, &one, BPF_ANY);
  return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** Emits each frame's EtherType bytes through a ring buffer. */
export const RINGBUF_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } ring SEC(".maps");
SEC("xdp") int ring_out(struct xdp_md *ctx) {
  unsigned char *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;
  if (d + 14 > e) return XDP_DROP;
  __u16 proto = *(__u16 *)(d + 12); /* helpers may not read the packet itself */
  bpf_ringbuf_output(&ring, &proto, 2, 0);
  return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;
