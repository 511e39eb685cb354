/**
 * libbpf as the oracle for linking and map definitions: the oracle program (libbpf-oracle.c) loads each
 * object through libbpf into the running kernel and prints the instructions libbpf passed to
 * BPF_PROG_LOAD; parseObject must produce the same slots, with map fds replaced by map indices.
 * Skips (with the reason) without gcc + libbpf-dev, root, or a kernel that accepts the object.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseObject } from '../../../src/ebpf/loader.js';
import { MapFlag, type ObjectSpec } from '../../../src/ebpf/object-spec.js';
import { PseudoSrc } from '../../../src/ebpf/opcodes.js';
import { REPO_ROOT, allObjects, FIXTURES } from './fixture-objects.js';

interface OracleMap { name: string; type: number; keySize: number; valueSize: number; maxEntries: number; flags: number; fd: number }
interface OracleProg { name: string; section: string; insns: { code: number; dst: number; src: number; off: number; imm: number }[] }

function buildOracle(): { bin: string; dir: string } | string {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root: libbpf cannot load programs';
  const dir = mkdtempSync(join(tmpdir(), 'xdpjit-libbpf-oracle-'));
  const bin = join(dir, 'oracle');
  const r = spawnSync('gcc', ['-O1', '-o', bin, join(REPO_ROOT, 'test/ebpf/loader/libbpf-oracle.c'), '-lbpf'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot build the libbpf oracle (gcc + libbpf-dev needed): ${r.error?.message ?? r.stderr.trim().split('\n')[0]}`;
  }
  return { bin, dir };
}

function runOracle(bin: string, path: string): { maps: OracleMap[]; progs: OracleProg[] } | string {
  const r = spawnSync(bin, [path], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) return `libbpf could not open it (exit ${r.status})`;
  const lines = r.stdout.split('\n');
  const load = Number(lines[0]!.split(' ')[1]);
  if (load !== 0) return `libbpf/kernel refused to load it (${load}): ${r.stderr.trim().split('\n').at(-1)}`;
  const maps: OracleMap[] = [];
  const progs: OracleProg[] = [];
  for (const line of lines.slice(1)) {
    const f = line.trim().split(' ');
    if (line.startsWith('map ')) {
      maps.push({ name: f[1]!, type: +f[2]!, keySize: +f[3]!, valueSize: +f[4]!, maxEntries: +f[5]!, flags: +f[6]!, fd: +f[7]! });
    } else if (line.startsWith('prog ')) {
      progs.push({ name: f[1]!, section: f[2]!, insns: [] });
    } else if (line.startsWith(' ')) {
      progs.at(-1)!.insns.push({ code: parseInt(f[0]!, 16), dst: +f[1]!, src: +f[2]!, off: +f[3]!, imm: +f[4]! });
    }
  }
  return { maps, progs };
}

/** libbpf names global-data maps `<object prefix><section>` ("globals.rodata"); compare on the section. */
function sameMapName(ours: string, theirs: string): boolean {
  return ours === theirs || (ours.startsWith('.') && theirs.endsWith(ours)) || theirs === ours.slice(0, 15);
}

function compare(name: string, spec: ObjectSpec, oracle: { maps: OracleMap[]; progs: OracleProg[] }): void {
  assert.equal(spec.maps.length, oracle.maps.length, `${name}: number of maps`);
  const indexOfFd = new Map<number, number>();
  spec.maps.forEach((m, i) => {
    const o = oracle.maps[i]!;
    assert.ok(sameMapName(m.name, o.name), `${name}: map ${i} is ${m.name}, libbpf says ${o.name}`);
    // libbpf adds BPF_F_MMAPABLE to global data when the kernel supports it; xdpjit's arena needs no flag.
    assert.deepEqual([m.type, m.keySize, m.valueSize, m.maxEntries, m.flags],
      [o.type, o.keySize, o.valueSize, o.maxEntries, o.flags & ~MapFlag.MMAPABLE], `${name}: map ${m.name}`);
    indexOfFd.set(o.fd, i);
  });
  for (const p of spec.programs) {
    const o = oracle.progs.find((x) => x.name === p.name);
    assert.ok(o, `${name}: libbpf has program ${p.name}`);
    assert.equal(o.section, p.section);
    assert.equal(p.insns.length, o.insns.length, `${name}/${p.name}: linked length`);
    p.insns.forEach((insn, i) => {
      const want = { ...o.insns[i]! };
      if (insn.code === 0x18 && (insn.src === PseudoSrc.MAP_FD || insn.src === PseudoSrc.MAP_VALUE)) {
        want.imm = indexOfFd.get(want.imm) ?? -1;
      }
      // A kernel-loaded libbpf object may say map fd where we say index; nothing else may differ.
      assert.deepEqual({ ...insn }, want, `${name}/${p.name} slot ${i}`);
    });
  }
}

test('parseObject links programs and defines maps exactly as libbpf does', (t) => {
  const built = buildOracle();
  if (typeof built === 'string') { t.skip(built); return; }
  try {
    let compared = 0;
    const skipped: string[] = [];
    for (const { name, bytes } of allObjects()) {
      let spec: ObjectSpec;
      try {
        spec = parseObject(bytes);
      } catch {
        continue; // refusals are covered by loader.test.ts
      }
      const path = name.startsWith('programs/') ? join(REPO_ROOT, name) : join(FIXTURES, name);
      const oracle = runOracle(built.bin, path);
      if (typeof oracle === 'string') { skipped.push(`${name}: ${oracle}`); continue; }
      compare(name, spec, oracle);
      compared++;
    }
    t.diagnostic(`compared ${compared} objects with libbpf`);
    if (skipped.length) t.diagnostic(`not compared: ${skipped.join('; ')}`);
    assert.ok(compared >= 3, `compared ${compared} objects`);
  } finally {
    rmSync(built.dir, { recursive: true, force: true });
  }
});
