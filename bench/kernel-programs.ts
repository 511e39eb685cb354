/**
 * The kernel's side of the bench figures: ns/packet of every programs/*.o XDP program over a capture
 * (default pcaps/mixed.pcap) through BPF_PROG_TEST_RUN with repeat, next to the floor (a program that
 * only returns XDP_PASS), so marginal costs can be set beside xdpjit's.
 *
 *   node dist/bench/kernel-programs.js [CAPTURE] [--repeat N]
 */
import { existsSync, readdirSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildOracle, kernelAvailable, kernelBench, kernelFloorBench, KernelLoadError } from '../src/oracle/index.js';

const execFileP = promisify(execFile);
/** This module runs as dist/bench/kernel-programs.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function main(argv: string[]): Promise<number> {
  const repeatAt = argv.indexOf('--repeat');
  const repeat = repeatAt >= 0 ? Number(argv[repeatAt + 1]) : undefined;
  const capture = argv.find((a, i) => !a.startsWith('--') && i !== repeatAt + 1) ?? join(ROOT, 'pcaps', 'mixed.pcap');
  const k = await kernelAvailable();
  if (!k.ok) {
    process.stdout.write(`kernel figures unavailable: ${k.reason}\n`);
    return 0;
  }
  const opts = repeat !== undefined ? { repeat } : {};
  const floor = await kernelFloorBench(capture, opts);
  process.stdout.write(`kernel ${k.kernel}, ${basename(capture)}, ${floor.frames} frames × ${floor.repeat} runs, floor ${floor.nsPerPacket.toFixed(2)} ns/packet\n`);
  process.stdout.write(`${'program'.padEnd(18)} ${'ns/packet'.padStart(10)} ${'marginal'.padStart(9)}  actions\n`);
  const oracle = await buildOracle();
  const dir = join(ROOT, 'programs');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.o')).sort()) {
    const obj = join(dir, file);
    const maps = obj.replace(/\.o$/, '.maps');
    const { stdout } = await execFileP(oracle, [obj, '--list']);
    for (const line of stdout.split('\n').filter(Boolean)) {
      const prog = (JSON.parse(line) as { name: string }).name;
      try {
        const r = await kernelBench(obj, capture, { ...opts, prog, ...(existsSync(maps) ? { mapsFile: maps } : {}) });
        const actions = Object.entries(r.actions).map(([a, n]) => `${a.replace('XDP_', '')}:${n}`).join(' ');
        process.stdout.write(`${prog.padEnd(18)} ${r.nsPerPacket.toFixed(2).padStart(10)} ${(r.nsPerPacket - floor.nsPerPacket).toFixed(2).padStart(9)}  ${actions}\n`);
      } catch (err) {
        if (!(err instanceof KernelLoadError)) throw err;
        process.stdout.write(`${prog.padEnd(18)} refused by the kernel: ${err.message.split('\n')[0]}\n`);
      }
    }
  }
  return 0;
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
