/**
 * The stream path's speed (issue 6, design.md §3–4): every way frames enter an interface other than a replay
 * from memory, i.e. through `Datapath.submit` (batch buffers filled on the main thread, run by the CPU workers,
 * delivered by action on the main thread):
 *
 *   submit-drop   frames of a loaded capture submitted in chunks (as a paced replay does) through xdp_drop
 *   veth-tx       frames submitted on one veth end whose program returns XDP_TX (a test fixture processor):
 *                 the peer receives them and runs xdp_drop; counted at the peer
 *   paced-replay  a Replay at speed 1e6 (paced, so through submit), frames counted from its status
 *   vxlan         VXLAN-encapsulated frames sent over loopback UDP by a worker thread as fast as it can to
 *                 a vxlan interface running xdp_drop; frames run counted from the counters
 *
 * With `--baseline DIR` (the dist/ of another build, e.g. `git worktree add /tmp/base <commit>` built with
 * tsc) the same scenarios run against that build's Datapath in the same process, alternated `--repeat` times,
 * so old and new are compared side by side on the same (noisy, shared) machine. Writes
 * bench/results/stream-<ISO time>.json.
 *
 *   node dist/bench/stream-mpps.js [--seconds 2] [--repeat 3] [--cpus 2] [--baseline /tmp/base/dist]
 *        [--scenarios submit-drop,veth-tx,paced-replay,vxlan]
 */
import { Worker } from 'node:worker_threads';
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep, setImmediate as nextTurn } from 'node:timers/promises';
import { Arena } from '../src/vm/arena.js';
import { RuntimeObjectLoader } from '../src/daemon/runtime-object-loader.js';
import { readCapture, requireEthernet } from '../src/dataplane/capture/index.js';
import type { ProcessorRecipe } from '../src/dataplane/frame-processor.js';
import type { Datapath as DatapathClass, RxFrame } from '../src/dataplane/datapath.js';
import type { Replay as ReplayClass } from '../src/dataplane/replay.js';
import { XdpAction } from '../src/ebpf/opcodes.js';
import type { VxlanSenderInit } from './vxlan-sender.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const OWN_DIST = fileURLToPath(new URL('../', import.meta.url));
const SENDER = new URL('./vxlan-sender.js', import.meta.url);
/** Frames per submit call, as replay.ts's paced loop hands them over. */
const CHUNK = 256;

const { values } = parseArgs({
  options: {
    prog: { type: 'string', default: join(REPO, 'programs', 'xdp_drop.o') },
    pcap: { type: 'string', default: join(REPO, 'pcaps', 'flood64.pcap') },
    seconds: { type: 'string', default: '2' },
    repeat: { type: 'string', default: '3' },
    cpus: { type: 'string', default: '2' },
    baseline: { type: 'string' },
    scenarios: { type: 'string', default: 'submit-drop,veth-tx,paced-replay,vxlan' },
  },
});
const seconds = Number(values.seconds);
const repeat = Number(values.repeat);
const cpus = Number(values.cpus);
const scenarios = values.scenarios!.split(',');

interface Build { readonly name: string; readonly dist: string; readonly Datapath: typeof DatapathClass; readonly Replay: typeof ReplayClass }
async function loadBuild(name: string, dist: string): Promise<Build> {
  const dp = await import(pathToFileURL(join(dist, 'src/dataplane/datapath.js')).href) as { Datapath: typeof DatapathClass };
  const rp = await import(pathToFileURL(join(dist, 'src/dataplane/replay.js')).href) as { Replay: typeof ReplayClass };
  return { name, dist, Datapath: dp.Datapath, Replay: rp.Replay };
}
const builds: Build[] = [await loadBuild('new', OWN_DIST)];
if (values.baseline) builds.push(await loadBuild('baseline', resolve(values.baseline)));

const capture = requireEthernet(readCapture(await readFile(values.pcap!)));
const arena = Arena.create({ maxBytes: 512 << 20, cpus });
const loaded = await new RuntimeObjectLoader(arena).load(await readFile(values.prog!), { pinnedMaps: new Map(), strict: false });
const entry = loaded.programs[0]!.name;
const drop: ProcessorRecipe = (await loaded.prepare(entry, { engine: 'jit', harden: false })).recipe;
/** XDP_TX on every frame: the test fixture processor (no compiled program in programs/ TXes every frame). */
const txAll: ProcessorRecipe = { module: pathToFileURL(join(OWN_DIST, 'test/dataplane/fixtures/byte-action-processor.js')).href, spec: { action: XdpAction.TX } };
const stage = (program: string, recipe: ProcessorRecipe) => ({ program, recipe, chainCallActions: 1 << XdpAction.PASS });

const REGION = 64 << 20;
async function withDatapath<T>(build: Build, fn: (dp: DatapathClass) => Promise<T>): Promise<T> {
  const base = arena.alloc(REGION, 'bench data plane');
  const dp = new build.Datapath({ memory: arena.memory, regionBase: base, regionSize: REGION, cpus, captureHeap: arena });
  try { return await fn(dp); } finally { await dp.close(); arena.free(base); }
}

const counted = (dp: DatapathClass, iface: string): number =>
  dp.counters().filter((r) => r.interface === iface).reduce((s, r) => s + r.packets.reduce((a, b) => a + b, 0), 0);

/** Submit chunks of `frames` to `iface` for `seconds`, as a paced replay does (await posted, next turn). */
async function feed(dp: DatapathClass, ifaceName: string, frames: readonly RxFrame[]): Promise<void> {
  const iface = dp.interface(ifaceName)!;
  const stopAt = performance.now() + seconds * 1000;
  let last: Promise<void> = Promise.resolve();
  for (let i = 0; performance.now() < stopAt; i = (i + CHUNK) % frames.length) {
    const chunk = frames.slice(i, Math.min(i + CHUNK, frames.length));
    const { posted, done } = dp.submit(iface, chunk);
    await posted;
    last = done;
    await nextTurn();
  }
  await last;
}

/** Wait until `read` stops changing (frames still travelling between interfaces). */
async function settle(read: () => number): Promise<number> {
  let prev = -1, cur = read();
  while (cur !== prev) { await sleep(20); prev = cur; cur = read(); }
  return cur;
}

interface Point { readonly frames: number; readonly ms: number; readonly mpps: number; readonly extra?: Record<string, number> }

async function submitDrop(build: Build): Promise<Point> {
  return withDatapath(build, async (dp) => {
    await dp.addInterface({ name: 'p0', kind: 'pcap' });
    await dp.attach('p0', [stage(entry, drop)]);
    const cap = dp.loadCapture(capture.frames);
    const t0 = performance.now();
    await feed(dp, 'p0', cap.frames);
    const frames = counted(dp, 'p0');
    const ms = performance.now() - t0;
    cap.release();
    return { frames, ms, mpps: frames / ms / 1000, extra: { rxDropped: dp.interface('p0')!.stats.rxDropped } };
  });
}

async function vethTx(build: Build): Promise<Point> {
  return withDatapath(build, async (dp) => {
    await dp.addInterface({ name: 'va', kind: 'veth', peer: 'vb' });
    await dp.attach('va', [stage('tx', txAll)]);
    await dp.attach('vb', [stage(entry, drop)]);
    const cap = dp.loadCapture(capture.frames);
    const t0 = performance.now();
    await feed(dp, 'va', cap.frames);
    const frames = await settle(() => counted(dp, 'vb'));
    const ms = performance.now() - t0;
    cap.release();
    const errors = dp.counters().filter((r) => r.interface === 'va').reduce((s, r) => s + r.redirectErrors.reduce((a, b) => a + b, 0), 0);
    return { frames, ms, mpps: frames / ms / 1000, extra: { txAtA: dp.interface('va')!.stats.txPackets, txErrors: errors, rxDroppedAtB: dp.interface('vb')!.stats.rxDropped } };
  });
}

async function pacedReplay(build: Build): Promise<Point> {
  return withDatapath(build, async (dp) => {
    const [p0] = await dp.addInterface({ name: 'p0', kind: 'pcap' });
    await dp.attach('p0', [stage(entry, drop)]);
    const t0 = performance.now();
    const r = new build.Replay('paced', dp, p0!, 'bench', dp.loadCapture(capture.frames), { speed: 1e6, loop: 0, clock: 'wall' });
    await sleep(seconds * 1000);
    await r.stop();
    const ms = performance.now() - t0;
    const frames = counted(dp, 'p0');
    return { frames, ms, mpps: frames / ms / 1000, extra: { framesSent: r.status().framesSent } };
  });
}

async function vxlan(build: Build): Promise<Point> {
  return withDatapath(build, async (dp) => {
    const [vx] = await dp.addInterface({ name: 'vx0', kind: 'vxlan', vni: 42, listen: '127.0.0.1:0', remote: '127.0.0.1:9' });
    await dp.attach('vx0', [stage(entry, drop)]);
    const port = vx!.vxlan!.localPort;
    const frames = capture.frames.slice(0, 256).map((f) => f.data.slice());
    const w = new Worker(SENDER, { workerData: { port, vni: 42, frames, seconds } satisfies VxlanSenderInit });
    const t0 = performance.now();
    const sent = await new Promise<number>((res, rej) => { w.once('message', (m: number) => res(m)); w.once('error', rej); });
    const run = await settle(() => counted(dp, 'vx0'));
    const ms = performance.now() - t0;
    await w.terminate();
    return { frames: run, ms, mpps: run / ms / 1000, extra: { sent, rxDropped: vx!.stats.rxDropped } };
  });
}

const SCENARIOS: Record<string, (b: Build) => Promise<Point>> = { 'submit-drop': submitDrop, 'veth-tx': vethTx, 'paced-replay': pacedReplay, vxlan };

interface Row extends Point { readonly scenario: string; readonly build: string; readonly round: number }
const rows: Row[] = [];
process.stderr.write(`${entry} (jit) on ${cpus} CPU workers, ${capture.frames.length} capture frames, ${seconds} s per point, ${availableParallelism()} cores, builds: ${builds.map((b) => `${b.name}=${b.dist}`).join(' ')}\n`);
for (let round = 0; round < repeat; round++) {
  for (const scenario of scenarios) {
    // Alternate which build goes first, so neither always runs on a warmer / quieter machine.
    const order = round % 2 === 0 ? builds : [...builds].reverse();
    for (const build of order) {
      const p = await SCENARIOS[scenario]!(build);
      rows.push({ scenario, build: build.name, round, ...p });
      console.log(`${scenario.padEnd(13)} ${build.name.padEnd(9)} round ${round}  ${p.mpps.toFixed(3).padStart(7)} Mpps  (${p.frames} frames in ${p.ms.toFixed(0)} ms) ${JSON.stringify(p.extra ?? {})}`);
    }
  }
}
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const summary = scenarios.map((scenario) => {
  const m = Object.fromEntries(builds.map((b) => [b.name, median(rows.filter((r) => r.scenario === scenario && r.build === b.name).map((r) => r.mpps))]));
  const ratio = builds.length > 1 ? m.new! / m.baseline! : null;
  console.log(`${scenario.padEnd(13)} median Mpps ${builds.map((b) => `${b.name} ${m[b.name]!.toFixed(3)}`).join(', ')}${ratio !== null ? `  new/baseline ${ratio.toFixed(2)}×` : ''}`);
  return { scenario, medianMpps: m, ratio };
});
const dir = join(REPO, 'bench', 'results');
await mkdir(dir, { recursive: true });
const file = join(dir, `stream-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(file, JSON.stringify({
  program: entry, cpus, captureFrames: capture.frames.length, chunk: CHUNK, seconds, repeat, cores: availableParallelism(),
  builds: builds.map((b) => ({ name: b.name, dist: b.dist })), summary, rows,
}, null, 2) + '\n');
process.stderr.write(`wrote ${file}\n`);
