/**
 * BLOOM_FILTER against the kernel: with BPF_F_ZERO_SEED the kernel's bits (jhash, seed 0, hash count from
 * map_extra) are fixed, so every false positive — hence every verdict of bloom_zero_seed.c — must agree.
 * Needs clang-16 and the kernel oracle (root, bpf()); skips with the reason otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelAvailable, runKernel } from '../../../src/oracle/index.js';
import { parseObject } from '../../../src/ebpf/loader.js';
import { readFileSync } from 'node:fs';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const SOURCE = join(REPO, 'test', 'vm', 'maps', 'bloom_zero_seed.c');

test('BLOOM_FILTER with BPF_F_ZERO_SEED: every verdict (false positives included) equals the kernel\'s', async (t) => {
  const k = await kernelAvailable();
  if (!k.ok) { t.skip(`kernel oracle unavailable: ${k.reason}`); return; }
  const dir = mkdtempSync(join(tmpdir(), 'xdpjit-bloom-'));
  try {
    const obj = join(dir, 'bloom_zero_seed.o');
    const cc = spawnSync('clang-16', ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-I/usr/include/x86_64-linux-gnu', '-c', SOURCE, '-o', obj], { encoding: 'utf8' });
    if (cc.error || cc.status !== 0) { t.skip(`clang-16 could not build the probe: ${cc.error?.message ?? cc.stderr}`); return; }
    const spec = parseObject(new Uint8Array(readFileSync(obj))).maps.find((m) => m.name === 'seen');
    assert.equal(spec?.mapExtra, 2);
    const pcap = join(REPO, 'pcaps', 'flood64.pcap');
    const kernel = await runKernel(obj, pcap, { prog: 'bloom_zero_seed' });
    const out = execFileSync(process.execPath, [join(REPO, 'bin', 'xdpjit.js'), 'run', obj, '--pcap', pcap, '--jsonl', '--engine', 'interp'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const ours = new Map(out.trim().split('\n').map((l) => JSON.parse(l) as { i: number; action: string }).map((f) => [f.i, f.action]));
    const drops = kernel.frames.filter((f) => f.action === 'XDP_DROP').length;
    const sources = 64;
    // Fewer first-sight drops than sources: the kernel's filter did give false positives here.
    assert.ok(drops < sources, `kernel dropped ${drops}: no false positive to compare`);
    for (const f of kernel.frames) assert.equal(ours.get(f.i), f.action, `frame ${f.i}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
