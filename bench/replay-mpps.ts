/**
 * Replay speed from memory (issue 6, design.md §3): a capture loaded into the arena once, replayed through an
 * XDP program (programs/xdp_drop.o by default) as fast as the workers go, on 1 and on 2 workers; each pass
 * runs the frames as the previous pass left them (kernel test_run repeat). Per worker, the frames sit in
 * arena slots with a descriptor ring; the worker enters wasm once per `--batch` frames (run_batch) and does
 * no per-frame JS and no copy. Prints Mpps per worker count and batch size, and writes
 * bench/results/replay-<ISO time>.json. Also measures the daemon's own replay path (Datapath + Replay, which
 * replays the same way from per-CPU rings plus counting and stop / attach checks per batch) side by side.
 *
 *   node dist/bench/replay-mpps.js [--prog programs/xdp_drop.o] [--pcap pcaps/flood64.pcap]
 *        [--seconds 2] [--batches 64,256,1024,4096] [--workers 1,2] [--engine jit|interp]
 */
import { Worker } from 'node:worker_threads';
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Arena } from '../src/vm/arena.js';
import { Desc, DESC_SIZE, FRAME_SLOT_SIZE, MAX_LINEAR, XDP_PACKET_HEADROOM } from '../src/vm/arena-layout.js';
import { RuntimeObjectLoader } from '../src/daemon/runtime-object-loader.js';
import { readCapture, requireEthernet } from '../src/dataplane/capture/index.js';
import type { ProcessorRecipe } from '../src/dataplane/frame-processor.js';
import { Datapath } from '../src/dataplane/datapath.js';
import { Replay } from '../src/dataplane/replay.js';
import { BATCH_BYTES, RING_DEPTH } from '../src/dataplane/batch-layout.js';
import { XdpAction } from '../src/ebpf/opcodes.js';
import type { ReplayWorkerInit, ReplayWorkerResult } from './replay-worker.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = new URL('./replay-worker.js', import.meta.url);
/** Frames per worker ring: the capture repeated up to this many, so a pass is long against one call. */
const RING_FRAMES = 4096;

const { values } = parseArgs({
  options: {
    prog: { type: 'string', default: join(REPO, 'programs', 'xdp_drop.o') },
    pcap: { type: 'string', default: join(REPO, 'pcaps', 'flood64.pcap') },
    seconds: { type: 'string', default: '2' },
    batches: { type: 'string', default: '64,256,1024,4096' },
    workers: { type: 'string', default: '1,2' },
    engine: { type: 'string', default: 'jit' },
  },
});
const seconds = Number(values.seconds);
const batches = values.batches!.split(',').map(Number);
const workerCounts = values.workers!.split(',').map(Number);
const maxWorkers = Math.max(...workerCounts);

const capture = requireEthernet(readCapture(await readFile(values.pcap!)));
const arena = Arena.create({ maxBytes: 256 << 20, cpus: maxWorkers });
const loaded = await new RuntimeObjectLoader(arena).load(await readFile(values.prog!), { pinnedMaps: new Map(), strict: false });
const entry = loaded.programs[0]!.name;
const prepared = await loaded.prepare(entry, { engine: values.engine as 'jit' | 'interp', harden: false });
const recipe: ProcessorRecipe = prepared.recipe;

/** Copies the capture into arena slots once per worker and builds its descriptor ring. */
function loadRing(cpu: number): number {
  const descAddr = arena.alloc(RING_FRAMES * DESC_SIZE, `replay ring cpu ${cpu}`);
  const slots = arena.alloc(RING_FRAMES * FRAME_SLOT_SIZE, `replay frames cpu ${cpu}`);
  const u8 = new Uint8Array(arena.memory.buffer);
  const u32 = new Uint32Array(arena.memory.buffer);
  for (let i = 0; i < RING_FRAMES; i++) {
    const frame = capture.frames[i % capture.frames.length]!.data.subarray(0, MAX_LINEAR);
    const data = slots + i * FRAME_SLOT_SIZE + XDP_PACKET_HEADROOM;
    u8.set(frame, data);
    const d = (descAddr + i * DESC_SIZE) >>> 2;
    u32.fill(0, d, d + DESC_SIZE / 4);
    u32[d + (Desc.DATA >> 2)] = data;
    u32[d + (Desc.DATA_END >> 2)] = data + frame.length;
    u32[d + (Desc.DATA_META >> 2)] = data;
    u32[d + (Desc.INGRESS_IFINDEX >> 2)] = 1;
    u32[d + (Desc.RX_QUEUE_INDEX >> 2)] = cpu;
    u32[d + (Desc.SLOT >> 2)] = slots + i * FRAME_SLOT_SIZE;
  }
  return descAddr;
}
const rings = Array.from({ length: maxWorkers }, (_, cpu) => loadRing(cpu));

interface Row { readonly workers: number; readonly batch: number; readonly frames: number; readonly mpps: number; readonly perWorkerMpps: readonly number[]; readonly actions: Record<string, number> }

async function measure(workers: number, batch: number): Promise<Row> {
  const control = new Int32Array(new SharedArrayBuffer(8));
  const ws = Array.from({ length: workers }, (_, cpu) => new Worker(WORKER, {
    workerData: { memory: arena.memory, cpu, recipe, descAddr: rings[cpu]!, frames: RING_FRAMES, batch, control } satisfies ReplayWorkerInit,
  }));
  const results = ws.map((w) => new Promise<ReplayWorkerResult>((resolve, reject) => {
    w.on('message', (m: unknown) => { if (m !== 'ready') resolve(m as ReplayWorkerResult); });
    w.once('error', reject);
  }));
  await Promise.all(ws.map((w) => new Promise<void>((r) => w.once('message', () => r()))));
  Atomics.store(control, 0, 1);
  Atomics.notify(control, 0);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  Atomics.store(control, 1, 1);
  const done = await Promise.all(results);
  await Promise.all(ws.map((w) => w.terminate()));
  const perWorkerMpps = done.map((r) => r.frames / r.ns * 1000);
  const actions: Record<string, number> = {};
  for (const r of done) for (const [a, n] of Object.entries(r.actions)) actions[a] = (actions[a] ?? 0) + n;
  return { workers, batch, frames: done.reduce((s, r) => s + r.frames, 0), mpps: perWorkerMpps.reduce((s, x) => s + x, 0), perWorkerMpps, actions };
}

const rows: Row[] = [];
process.stderr.write(`${entry} (${prepared.engine}) over ${capture.frames.length} capture frames, ring ${RING_FRAMES} per worker, ${seconds} s per point, ${availableParallelism()} cores\n`);
for (const workers of workerCounts) {
  for (const batch of batches) {
    const row = await measure(workers, batch);
    rows.push(row);
    console.log(`workers ${workers}  batch ${String(batch).padStart(5)}  ${row.mpps.toFixed(2).padStart(7)} Mpps  (per worker ${row.perWorkerMpps.map((x) => x.toFixed(2)).join(', ')})  last-pass actions ${JSON.stringify(row.actions)}`);
  }
}
/**
 * The daemon's own replay path side by side: Datapath + Replay at speed 0, as `POST /v1/replays` runs it (the
 * capture's frames placed into per-CPU rings once, each worker replaying its ring on its own, replay-ring.ts).
 * Steady state: a replay looping until stopped, frames counted over `seconds` after a warm-up, from its
 * status (framesSent) as the API reports it. Setup: the wall time of a one-pass replay (placing the frames,
 * one pass, releasing the rings).
 */
interface DaemonRow { readonly workers: number; readonly mpps: number; readonly frames: number; readonly onePassMs: number; readonly counted: number }
async function measureDaemonPath(workers: number): Promise<DaemonRow> {
  const regionSize = workers * RING_DEPTH * BATCH_BYTES + (1 << 20);
  const dp = new Datapath({ memory: arena.memory, regionBase: arena.alloc(regionSize, 'bench data plane'), regionSize, cpus: workers, captureHeap: arena });
  try {
    const [iface] = await dp.addInterface({ name: 'p0', kind: 'pcap' });
    await dp.attach('p0', [{ program: entry, recipe, chainCallActions: 1 << XdpAction.PASS }]);
    const t0 = performance.now();
    await new Replay('one', dp, iface!, 'bench', dp.loadCapture(capture.frames), { speed: 0, loop: 1, clock: 'wall' }).finished;
    const onePassMs = performance.now() - t0;
    const replay = new Replay('bench', dp, iface!, 'bench', dp.loadCapture(capture.frames), { speed: 0, loop: 0, clock: 'wall' });
    await sleep(500);
    const f1 = replay.status().framesSent, t1 = performance.now();
    await sleep(seconds * 1000);
    const f2 = replay.status().framesSent, t2 = performance.now();
    await replay.stop();
    const counted = dp.counters().reduce((s, r) => s + r.packets.reduce((a, b) => a + b, 0), 0);
    return { workers, mpps: (f2 - f1) / (t2 - t1) / 1000, frames: f2 - f1, onePassMs, counted: counted - capture.frames.length - replay.status().framesSent };
  } finally {
    await dp.close();
  }
}
const daemonPath: DaemonRow[] = [];
for (const workers of workerCounts) {
  const row = await measureDaemonPath(workers);
  daemonPath.push(row);
  console.log(`daemon replay path (Datapath + Replay, speed 0), workers ${workers}: ${row.mpps.toFixed(2)} Mpps steady; one-pass replay ${row.onePassMs.toFixed(0)} ms; counters - frames sent = ${row.counted}`);
}

const best = (w: number) => Math.max(...rows.filter((r) => r.workers === w).map((r) => r.mpps));
for (const w of workerCounts) {
  const d = daemonPath.find((r) => r.workers === w)!;
  console.log(`best on ${w} worker(s): engine ${best(w).toFixed(2)} Mpps, daemon path ${d.mpps.toFixed(2)} Mpps (${(d.mpps / best(w)).toFixed(2)} of the engine)`);
}

const dir = join(REPO, 'bench', 'results');
await mkdir(dir, { recursive: true });
const file = join(dir, `replay-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(file, JSON.stringify({ program: entry, engine: prepared.engine, captureFrames: capture.frames.length, ringFrames: RING_FRAMES, seconds, cores: availableParallelism(), results: rows, daemonPath }, null, 2) + '\n');
process.stderr.write(`wrote ${file}\n`);
