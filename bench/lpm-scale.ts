/**
 * LPM_TRIE lookup cost against the entry count: programs/lpm_blocklist.c with N random IPv4 source prefixes
 * (N = 3, 1,000, 10,000; lengths 8..32 mixed) in blocked_v4, measured by `xdpjit bench --engine jit --json`
 * over pcaps/flood64.pcap (the kernel's figure from the same run), written to bench/results/lpm-scale-<ISO>.json
 * with ours/kernel per N. The committed program's maps hold 256 entries, so the script builds a copy with
 * max_entries 16384 (the same flags as programs/Makefile, in a scratch directory; the committed .o is not
 * touched) and runs every N on that copy. With `--before-root DIR` (another build of this repository, e.g. a
 * worktree at an older commit) each N is also measured there, alternating with this build, and the row carries
 * the new/old ratio of the JIT's marginal ns/packet.
 *
 *   node dist/bench/lpm-scale.js [--before-root DIR] [--repeat R] [--sizes 3,1000,10000]
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, benchJitOnFlood64, kernelNs } from './bench-cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAX_ENTRIES = 16384;
const MIN_LEN = 8;
const MAX_LEN = 32;

interface Run {
  readonly jitMarginalNs: number;
  readonly jitNs: number;
  readonly kernelMarginalNs: number | null;
  readonly kernelNs: number | null;
  readonly ratioMarginal: number | null;
  readonly ratioEndToEnd: number | null;
  readonly actions: Record<string, number>;
}

/** A deterministic generator (mulberry32), so every run and build sees the same prefixes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The program built with room for MAX_ENTRIES prefixes per map, with programs/Makefile's flags. */
function buildProgram(scratch: string): string {
  const src = readFileSync(join(root, 'programs', 'lpm_blocklist.c'), 'utf8');
  const widened = src.replaceAll('__uint(max_entries, 256);', `__uint(max_entries, ${MAX_ENTRIES});`);
  if (widened === src) throw new Error('programs/lpm_blocklist.c: no `__uint(max_entries, 256);` to widen');
  writeFileSync(join(scratch, 'lpm_blocklist.c'), widened);
  copyFileSync(join(root, 'programs', 'parse.h'), join(scratch, 'parse.h'));
  const cflags = execFileSync('make', ['-s', '-C', join(root, 'programs'), 'print-cflags'], { encoding: 'utf8' }).trim().split(/\s+/);
  const obj = join(scratch, 'lpm_blocklist.o');
  execFileSync('clang-16', [...cflags, '-c', 'lpm_blocklist.c', '-o', obj], { cwd: scratch, stdio: ['ignore', 'ignore', 'inherit'] });
  return obj;
}

/** A .maps file with `n` distinct IPv4 prefixes (lengths MIN_LEN..MAX_LEN) in blocked_v4. */
function writeMaps(scratch: string, n: number): string {
  const rand = prng(0x1b0c + n);
  const seen = new Set<string>();
  const lines = [`# ${n} random IPv4 prefixes, lengths ${MIN_LEN}..${MAX_LEN}`];
  while (seen.size < n) {
    const len = MIN_LEN + Math.floor(rand() * (MAX_LEN - MIN_LEN + 1));
    const addr = (Math.floor(rand() * 2 ** 32) & (len === 32 ? -1 : ~(-1 >>> len))) >>> 0;
    const id = `${addr.toString(16).padStart(8, '0')}/${len}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const key = Buffer.alloc(8);
    key.writeUInt32LE(len, 0);
    key.writeUInt32BE(addr, 4);
    const value = Buffer.alloc(16);
    value.writeUInt32LE(seen.size, 0);
    lines.push(`blocked_v4 ${key.toString('hex')} ${value.toString('hex')}`);
  }
  const file = join(scratch, `lpm-${n}.maps`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function benchOne(buildRoot: string, obj: string, maps: string, scratch: string): Run {
  const j = benchJitOnFlood64(root, buildRoot, obj, maps, scratch);
  const r = j.results[0]!;
  const k = kernelNs(j);
  return {
    jitMarginalNs: r.marginalNsPerPacket, jitNs: r.nsPerPacket, kernelMarginalNs: k.marginal,
    kernelNs: k.ns, ratioMarginal: j.ratio.marginal, ratioEndToEnd: j.ratio.endToEnd, actions: r.actions,
  };
}

function main(): void {
  const sizes = (argValue('--sizes') ?? '3,1000,10000').split(',').map(Number);
  const repeat = Number(argValue('--repeat') ?? '2');
  const beforeRoot = argValue('--before-root');
  const scratch = mkdtempSync(join(tmpdir(), 'lpm-scale-'));
  const obj = buildProgram(scratch);
  const f = (x: number | null): string => (x === null ? '-' : x.toFixed(2));
  const rows = sizes.map((n) => {
    const maps = writeMaps(scratch, n);
    const runs: Run[] = [];
    const before: Run[] = [];
    for (let i = 0; i < repeat; i++) {
      if (beforeRoot) before.push(benchOne(beforeRoot, obj, maps, scratch));
      const run = benchOne(root, obj, maps, scratch);
      runs.push(run);
      process.stdout.write(`N=${String(n).padEnd(6)} jit ${f(run.jitMarginalNs).padStart(9)} kernel ${f(run.kernelMarginalNs).padStart(8)} ours/kernel ${f(run.ratioMarginal).padStart(7)}` +
        (beforeRoot ? `   before: jit ${f(before[i]!.jitMarginalNs).padStart(9)} ours/kernel ${f(before[i]!.ratioMarginal).padStart(7)}` : '') + '\n');
    }
    const newOverOld = beforeRoot ? runs.map((r, i) => r.jitMarginalNs / before[i]!.jitMarginalNs) : undefined;
    return { n, runs, ...(beforeRoot ? { before, newOverOldMarginal: newOverOld } : {}) };
  });
  const at = new Date().toISOString();
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `lpm-scale-${at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({
    at, node: process.version, pcap: 'pcaps/flood64.pcap', program: `programs/lpm_blocklist.c with max_entries ${MAX_ENTRIES}`,
    prefixes: `N random IPv4 prefixes in blocked_v4, lengths ${MIN_LEN}..${MAX_LEN}`,
    note: 'marginal ns/packet = each side minus its own XDP_PASS floor; ratioMarginal = ours / kernel in the same xdpjit bench run',
    ...(beforeRoot ? { beforeRoot } : {}), sizes: rows,
  }, null, 2) + '\n');
  process.stdout.write(`results in ${file}\n`);
}

main();
