/**
 * One `xdpjit bench OBJ --pcap pcaps/flood64.pcap --engine jit --json` in a child process, for the bench
 * scripts that compare builds (a baseline checkout's bin against this one's) program by program: each build
 * runs in its own process, with the kernel measured in the same run as its JIT figure.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { BenchReport } from '../src/bench/bench-run.js';

/** The report of the build whose root is `buildRoot` for `object` (with a `--maps` fill when given). */
export function benchJitOnFlood64(repoRoot: string, buildRoot: string, object: string, maps: string | undefined, resultsDir: string): BenchReport {
  const args = [
    join(buildRoot, 'bin', 'xdpjit.js'), 'bench', object, '--pcap', join(repoRoot, 'pcaps', 'flood64.pcap'),
    ...(maps !== undefined ? ['--maps', maps] : []), '--engine', 'jit', '--json',
  ];
  const out = execFileSync(process.execPath, args, {
    encoding: 'utf8', env: { ...process.env, XDPJIT_BENCH_RESULTS_DIR: resultsDir }, stdio: ['ignore', 'pipe', 'ignore'],
  });
  // `--json` prints the report as the first line.
  return JSON.parse(out.split('\n')[0]!) as BenchReport;
}

/** The value after `--name` on the command line. */
export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The kernel's end-to-end and marginal ns/packet of `report`, null where the kernel was not measured. */
export function kernelNs(report: BenchReport): { readonly ns: number | null; readonly marginal: number | null } {
  const k = report.kernel;
  return 'nsPerPacket' in k ? { ns: k.nsPerPacket, marginal: k.marginalNsPerPacket } : { ns: null, marginal: null };
}
