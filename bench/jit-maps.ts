/**
 * The map-heavy programs under the JIT against the kernel, each measured by `xdpjit bench --engine jit --json`
 * over pcaps/flood64.pcap (kernel figures from the same run), written to bench/results/jit-maps-<ISO>.json.
 * With `--before FILE` (an earlier output of this script, e.g. from a build without a change) each program
 * also carries that run's figures and the new/old ratio of the JIT's marginal ns/packet; since figures of
 * two runs are not comparable on this shared machine, the ratios that matter are each run's ours/kernel.
 *
 *   node dist/bench/jit-maps.js [--before FILE] [--label TEXT] [--only NAME[,NAME...]]
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, benchJitOnFlood64, kernelNs } from './bench-cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROGRAMS = ['lpm_blocklist', 'bloom_greylist', 'lru_percpu', 'rate_limiter', 'lookup_percpu', 'map_in_map', 'l4_lb', 'port_firewall'];

interface Row {
  readonly program: string;
  readonly jitMarginalNs: number;
  readonly jitNs: number;
  readonly kernelMarginalNs: number | null;
  readonly kernelNs: number | null;
  readonly ratioMarginal: number | null;
  readonly ratioEndToEnd: number | null;
  readonly actions: Record<string, number>;
}

function benchOne(program: string, scratch: string): Row {
  const maps = join(root, 'programs', `${program}.maps`);
  const j = benchJitOnFlood64(root, root, join(root, 'programs', `${program}.o`), existsSync(maps) ? maps : undefined, scratch);
  const r = j.results[0]!;
  const k = kernelNs(j);
  return {
    program, jitMarginalNs: r.marginalNsPerPacket, jitNs: r.nsPerPacket, kernelMarginalNs: k.marginal,
    kernelNs: k.ns, ratioMarginal: j.ratio.marginal, ratioEndToEnd: j.ratio.endToEnd, actions: r.actions,
  };
}

function main(): void {
  const only = argValue('--only')?.split(',');
  const beforeFile = argValue('--before');
  const before = beforeFile ? (JSON.parse(readFileSync(beforeFile, 'utf8')) as { label?: string; programs: Row[] }) : undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'jit-maps-'));
  const rows = (only ?? PROGRAMS).map((p) => {
    const row = benchOne(p, scratch);
    const old = before?.programs.find((b) => b.program === p);
    const f = (x: number | null): string => (x === null ? '-' : x.toFixed(2));
    process.stdout.write(`${p.padEnd(16)} jit ${f(row.jitMarginalNs).padStart(9)} kernel ${f(row.kernelMarginalNs).padStart(7)} ratio ${f(row.ratioMarginal).padStart(6)}` +
      (old ? `   before: jit ${f(old.jitMarginalNs).padStart(9)} ratio ${f(old.ratioMarginal).padStart(7)}` : '') + '\n');
    return old ? { ...row, before: old } : row;
  });
  const at = new Date().toISOString();
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `jit-maps-${at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({
    at, label: argValue('--label') ?? null, node: process.version, pcap: 'pcaps/flood64.pcap',
    note: 'marginal ns/packet = each side minus its own XDP_PASS floor; ratio = ours / kernel in the same xdpjit bench run',
    ...(before ? { beforeLabel: before.label ?? beforeFile } : {}), programs: rows,
  }, null, 2) + '\n');
  process.stdout.write(`results in ${file}\n`);
}

main();
