import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonProcess, makeDirs, removeDirs } from './daemon-process.js';

/** An XDP program counting frames in slot `slot` of an ARRAY map pinned by name (libbpf LIBBPF_PIN_BY_NAME). */
const source = (prog: string, slot: number): string => `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} shared_hits SEC(".maps");
SEC("xdp")
int ${prog}(struct xdp_md *ctx) {
  __u32 k = ${slot};
  __u64 *v = bpf_map_lookup_elem(&shared_hits, &k);
  if (v) __sync_fetch_and_add(v, 1);
  return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;

test('maps pinned by name are shared across objects, and outlive the object that created them', async (t) => {
  const dirs = await makeDirs();
  t.after(() => removeDirs(dirs));
  for (const [name, slot] of [['pin_a', 0], ['pin_b', 1]] as const) {
    await writeFile(join(dirs.programs, `${name}.c`), source(name, slot));
    try {
      execFileSync('clang-16', ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-I/usr/include/x86_64-linux-gnu', '-c', `${name}.c`, '-o', `${name}.o`], { cwd: dirs.programs, stdio: 'pipe' });
    } catch (err) {
      t.skip(`clang-16 cannot build the test objects: ${(err as Error).message.split('\n')[0]}`);
      return;
    }
  }
  const d = await DaemonProcess.start(dirs);
  t.after(() => d.kill('SIGKILL'));
  const a = await d.req('POST', '/v1/programs', { path: 'pin_a.o' });
  const b = await d.req('POST', '/v1/programs', { path: 'pin_b.o' });
  assert.equal(a.status, 201, a.text);
  assert.equal(b.status, 201, b.text);
  assert.equal(a.json.maps[0].id, b.json.maps[0].id, 'one map for both objects');
  assert.equal((await d.req('GET', '/v1/maps')).json.length, 1);

  await d.req('POST', '/v1/interfaces', { name: 'pa', kind: 'pcap' });
  await d.req('POST', '/v1/interfaces', { name: 'pb', kind: 'pcap' });
  await d.req('PUT', '/v1/interfaces/pa/xdp', { program: a.json.id });
  await d.req('PUT', '/v1/interfaces/pb/xdp', { program: b.json.id });
  const ra = await d.req('POST', '/v1/replays', { interface: 'pa', pcap: 'mixed.pcap' });
  const rb = await d.req('POST', '/v1/replays', { interface: 'pb', pcap: 'mixed.pcap', loop: 2 });
  const na = (await d.waitReplay(ra.json.id)).framesSent;
  const nb = (await d.waitReplay(rb.json.id)).framesSent;
  const mapId = a.json.maps[0].id;
  const got = (await d.req('GET', `/v1/maps/${mapId}/entries`)).json.entries;
  const counts = got.map((e: { value: string }) => Number(Buffer.from(e.value, 'hex').readBigUInt64LE()));
  assert.deepEqual(counts, [na, nb]);

  await d.req('DELETE', '/v1/interfaces/pa/xdp');
  assert.equal((await d.req('DELETE', `/v1/programs/${a.json.id}`)).status, 204);
  const still = await d.req('GET', `/v1/maps/${mapId}/entries`);
  assert.equal(still.status, 200, 'the pinned map lives on with pin_b');
  assert.deepEqual(still.json.entries.map((e: { value: string }) => Number(Buffer.from(e.value, 'hex').readBigUInt64LE())), [na, nb]);
});
