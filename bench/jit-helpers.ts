/**
 * CPU time per packet of the JIT's run_batch for the programs that call helpers (the trampoline and the
 * wasm lowerings of jit/lower-helper-*.ts), loaded as `xdpjit bench` loads them, over pcaps/flood64.pcap.
 * A quick loop for the JIT's helper work and a target for `node --cpu-prof`; the figures to report beside
 * the kernel's come from `xdpjit bench` / the suite, which time the kernel in the same run.
 *
 *   node dist/bench/jit-helpers.js [--ms MS_PER_PROGRAM] [--only NAME[,NAME...]]
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseObject } from '../src/ebpf/loader.js';
import { readCapture } from '../src/dataplane/capture/read-capture.js';
import { Arena } from '../src/vm/arena.js';
import { parseMapsText } from '../src/vm/maps-file.js';
import { cpuRunner, loadProgram, readOutcome } from '../src/bench/bench-subject.js';
import { placeFrames } from '../src/bench/frame-set.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROGRAMS = [
  'xdp_pass', 'xdp_redirect', 'meta_mark', 'trim_tail', 'check_mtu', 'l4_lb', 'events', 'prandom', 'loads_bytes',
  'queue_stack', 'map_in_map', 'lookup_percpu', 'cpumap_spread', 'bloom_greylist', 'tail_dispatch',
];

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

function measure(name: string, frames: readonly Uint8Array[], ms: number): { ns: number; actions: Record<string, number> } {
  const spec = parseObject(readFileSync(join(root, 'programs', `${name}.o`)));
  const mapsFile = join(root, 'programs', `${name}.maps`);
  const mapLines = existsSync(mapsFile) ? parseMapsText(readFileSync(mapsFile, 'utf8'), mapsFile) : [];
  const arena = Arena.create({ maxBytes: 256 << 20, cpus: 1 });
  const { runtime, program } = loadProgram(arena, spec, { mapLines });
  const set = placeFrames(arena, frames);
  const runner = cpuRunner(runtime, program, 'jit', 0, set);
  runner.countedPass();
  const actions = { ...readOutcome(arena, set).actions };
  // Warm-up: Liftoff first, TurboFan in the background.
  const warmUntil = performance.now() + 300;
  while (performance.now() < warmUntil) runner.run(8);
  const samples: number[] = [];
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const t0 = cpuNs();
    const packets = runner.run(16);
    samples.push((cpuNs() - t0) / packets);
  }
  samples.sort((a, b) => a - b);
  return { ns: samples[Math.floor(samples.length / 2)]!, actions };
}

function main(): void {
  const ms = Number(argValue('--ms') ?? 1000);
  const only = argValue('--only')?.split(',');
  const capture = readCapture(readFileSync(join(root, 'pcaps', 'flood64.pcap')));
  const frames = capture.frames.slice(0, 1024).map((f) => f.data);
  console.log(`JIT run_batch, CPU ns/packet (median of ${ms} ms of 16-step samples), ${frames.length} frames of pcaps/flood64.pcap`);
  for (const name of only ?? PROGRAMS) {
    const { ns, actions } = measure(name, frames, ms);
    console.log(`${name.padEnd(16)} ${ns.toFixed(1).padStart(10)}  ${Object.entries(actions).map(([a, n]) => `${a}:${n}`).join(' ')}`);
  }
}

main();
