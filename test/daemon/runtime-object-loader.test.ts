/**
 * RuntimeObjectLoader's arena bookkeeping: a loaded object's maps go back to the arena when the object is
 * disposed (DELETE /v1/programs/{id}), and a map shared by name (LIBBPF_PIN_BY_NAME) only with the last
 * object that uses it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Arena } from '../../src/vm/arena.js';
import { RuntimeObjectLoader } from '../../src/daemon/runtime-object-loader.js';
import type { LoadedObject } from '../../src/daemon/object-loader.js';
import { REPO } from './daemon-process.js';

const noPins = { pinnedMaps: new Map(), strict: false } as const;

test('disposing loaded objects gives their maps back: 200 load/dispose cycles leave the arena as one load left it', async () => {
  const arena = Arena.create({ maxBytes: 64 << 20, cpus: 2 });
  const loader = new RuntimeObjectLoader(arena);
  const bytes = await readFile(join(REPO, 'programs', 'port_firewall.o'));
  const free0 = arena.freeBytes();
  (await loader.load(bytes, noPins)).dispose!();
  const heapAfterOne = arena.heapEnd;
  assert.equal(arena.freeBytes(), free0, 'one load and dispose');
  for (let i = 0; i < 200; i++) {
    const obj = await loader.load(bytes, noPins);
    assert.ok(arena.freeBytes() < free0, 'the maps take arena bytes while loaded');
    obj.dispose!();
    obj.dispose!();
  }
  assert.equal(arena.heapEnd, heapAfterOne, 'the heap did not grow');
  assert.equal(arena.freeBytes(), free0);
});

/** An XDP program counting into slot `slot` of an ARRAY map pinned by name. */
const pinnedSource = (prog: string, slot: number): string => `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1024);
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

test('a map shared by name is reused without a copy and freed with the last object that uses it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xdpjit-pin-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const objects: Uint8Array[] = [];
  for (const [name, slot] of [['pin_a', 0], ['pin_b', 1]] as const) {
    await writeFile(join(dir, `${name}.c`), pinnedSource(name, slot));
    try {
      execFileSync('clang-16', ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-I/usr/include/x86_64-linux-gnu', '-c', `${name}.c`, '-o', `${name}.o`], { cwd: dir, stdio: 'pipe' });
    } catch (err) {
      t.skip(`clang-16 cannot build the test objects: ${(err as Error).message.split('\n')[0]}`);
      return;
    }
    objects.push(await readFile(join(dir, `${name}.o`)));
  }
  const arena = Arena.create({ maxBytes: 64 << 20, cpus: 2 });
  const loader = new RuntimeObjectLoader(arena);
  const free0 = arena.freeBytes();
  const a: LoadedObject = await loader.load(objects[0]!, noPins);
  const shared = a.maps.find((m) => m.name === 'shared_hits')!;
  const freeWithA = arena.freeBytes();
  const b = await loader.load(objects[1]!, { pinnedMaps: new Map([['shared_hits', shared]]), strict: false });
  assert.equal(b.maps.find((m) => m.name === 'shared_hits'), shared, 'b links the live map');
  assert.equal(arena.freeBytes(), freeWithA, 'no copy of the pinned map was allocated for b');

  const key = Uint8Array.of(1, 0, 0, 0);
  assert.equal(shared.write(key, [Uint8Array.of(7, 0, 0, 0, 0, 0, 0, 0)], 0), 0);
  a.dispose!();
  assert.ok(arena.freeBytes() > freeWithA - 1 && arena.freeBytes() < free0, 'a\'s own maps freed, the shared one kept');
  assert.deepEqual([...shared.read(key)![0]!], [7, 0, 0, 0, 0, 0, 0, 0], 'b still sees the entry');
  // Nothing allocated now may land on the shared map's bytes.
  const probe = arena.alloc(1024 * 8, 'probe');
  assert.ok(probe + 1024 * 8 <= shared.addr || probe >= shared.valueEnd, 'a new allocation overlaps the live shared map');
  arena.free(probe);
  b.dispose!();
  assert.equal(arena.freeBytes(), free0, 'the last user gave the shared map back');
});
