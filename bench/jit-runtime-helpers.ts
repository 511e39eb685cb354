/**
 * The JIT's runtime helpers (events, check_mtu, trace, prandom, clocks, spinlock, fib) against the kernel:
 * `xdpjit bench PROG --pcap pcaps/flood64.pcap --engine jit --json` per program, so each JIT figure sits
 * beside the kernel's from the same run. With `--before DIR` (a copy of an older build: DIR/bin/xdpjit.js
 * and its dist/, programs/, pcaps/, native/), the old and the new build are run one after the other per
 * program, and the new/old ratio of the JIT's marginal ns/packet is reported too.
 *
 *   node dist/bench/jit-runtime-helpers.js [--before DIR] [--only NAME[,NAME...]]
 *
 * Writes bench/results/jit-runtime-helpers-<ISO time>.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, benchJitOnFlood64, kernelNs } from './bench-cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROGRAMS = ['events', 'check_mtu', 'trace', 'prandom', 'clocks', 'spinlock', 'fib'];

interface Figures {
  readonly jitNs: number;
  readonly jitMarginalNs: number;
  readonly kernelNs: number | null;
  readonly kernelMarginalNs: number | null;
  readonly marginalRatio: number | null;
}

function bench(dir: string, program: string, resultsDir: string): Figures {
  const j = benchJitOnFlood64(root, dir, join(root, 'programs', `${program}.o`), undefined, resultsDir);
  const jit = j.results[0]!;
  const k = kernelNs(j);
  return {
    jitNs: jit.nsPerPacket,
    jitMarginalNs: jit.marginalNsPerPacket,
    kernelNs: k.ns,
    kernelMarginalNs: k.marginal,
    marginalRatio: j.ratio.marginal,
  };
}

function main(): void {
  const before = argValue('--before');
  const only = argValue('--only')?.split(',');
  const resultsDir = mkdtempSync(join(tmpdir(), 'xdpjit-rt-helpers-'));
  const rows = [];
  try {
    for (const program of only ?? PROGRAMS) {
      const old = before === undefined ? undefined : bench(before, program, resultsDir);
      const now = bench(root, program, resultsDir);
      const row = { program, before: old, after: now, newOverOld: old === undefined ? undefined : now.jitMarginalNs / old.jitMarginalNs };
      rows.push(row);
      const fmt = (f: Figures | undefined): string => f === undefined ? '' :
        `jit ${f.jitMarginalNs.toFixed(1)} kernel ${f.kernelMarginalNs?.toFixed(1) ?? '-'} ratio ${f.marginalRatio?.toFixed(2) ?? '-'}`;
      console.log(`${program.padEnd(10)} ${old ? `before: ${fmt(old)} | ` : ''}after: ${fmt(now)}${row.newOverOld ? ` | new/old ${row.newOverOld.toFixed(3)}` : ''}`);
    }
  } finally {
    rmSync(resultsDir, { recursive: true, force: true });
  }
  const when = new Date().toISOString();
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `jit-runtime-helpers-${when.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ when, node: process.version, pcap: 'pcaps/flood64.pcap', rows }, null, 2)}\n`);
  console.log(`results in ${file}`);
}

main();
