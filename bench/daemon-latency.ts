/**
 * Daemon start-up and attach latency (issue 6: "attach latency"; design.md §5 `xdpjit serve`). Starts the real
 * daemon as a user does and times, in wall-clock milliseconds:
 *   - `serve`: process spawn → the `listening on` line, with an empty daemon (no config);
 *   - `start-default`: the same for `npm start`'s bundled config (one program attached at start);
 *   - on the empty daemon: POST /v1/programs (upload) and PUT /v1/interfaces/{name}/xdp (attach) — the first
 *     attach right after `listening on`, an attach of another program, and re-attaching the first one
 *     (module cache hit);
 *   - on another empty daemon left idle `--idle-ms` after `listening on` (start-up work done): the first attach.
 * Each given bin (`--bins A,B`: e.g. a baseline checkout's bin/xdpjit.js and this one's) runs `--runs`
 * times, interleaved, so the figures of several builds are measured side by side on the same shared machine;
 * medians per bin, and per figure the ratio of every bin to the first. Writes
 * bench/results/daemon-latency-<ISO time>.json.
 *
 *   node dist/bench/daemon-latency.js [--bins PATH[,PATH...]] [--runs 5] [--workers 2]
 *        [--programs proto_count.o,l4_lb.o] [--idle-ms 4000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

const { values } = parseArgs({
  options: {
    bins: { type: 'string', default: join(REPO, 'bin', 'xdpjit.js') },
    runs: { type: 'string', default: '5' },
    workers: { type: 'string', default: '2' },
    programs: { type: 'string', default: 'proto_count.o,l4_lb.o' },
    'idle-ms': { type: 'string', default: '4000' },
  },
});
const bins = values.bins!.split(',').map((b) => resolve(b));
const runs = Number(values.runs);
const [progA, progB] = values.programs!.split(',') as [string, string];

interface Started { readonly child: ChildProcess; readonly url: string; readonly listenMs: number }

/** Spawn `bin args...` and resolve when it prints `listening on URL`, with the time that took. */
function startDaemon(bin: string, args: readonly string[]): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XDPJIT_LOG_LEVEL: 'warn' } });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
  return new Promise((res, rej) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)\n/.exec(out);
      if (m) res({ child, url: m[1]!, listenMs: performance.now() - t0 });
    });
    child.once('exit', (code) => rej(new Error(`${bin} exited with ${code} before serving:\n${err}`)));
  });
}

async function stop(d: Started): Promise<void> {
  const exited = new Promise((res) => d.child.once('exit', res));
  d.child.kill('SIGTERM');
  await exited;
}

/** One request; returns its wall time and the parsed answer, throwing on an unexpected status. */
async function timed(url: string, method: string, body: unknown, want: number): Promise<{ ms: number; json: any }> {
  const init: RequestInit = { method };
  if (body instanceof Uint8Array) init.body = body, init.headers = { 'content-type': 'application/octet-stream' };
  else if (body !== undefined) init.body = JSON.stringify(body), init.headers = { 'content-type': 'application/json' };
  const t0 = performance.now();
  const res = await fetch(url, init);
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== want) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return { ms, json: text ? JSON.parse(text) : null };
}

const common = ['--listen', '127.0.0.1:0', '--workers', values.workers!];
const serveArgs = ['serve', ...common, '--arena-size', '256M', '--programs-dir', join(REPO, 'programs'), '--pcaps-dir', join(REPO, 'pcaps')];
const objA = await readFile(join(REPO, 'programs', progA));
const objB = await readFile(join(REPO, 'programs', progB));

type Figures = Record<string, number>;

async function oneRun(bin: string): Promise<Figures> {
  const f: Figures = {};
  const dflt = await startDaemon(bin, ['start-default', ...common]);
  f['startDefaultListenMs'] = dflt.listenMs;
  await stop(dflt);
  const d = await startDaemon(bin, serveArgs);
  f['serveListenMs'] = d.listenMs;
  try {
    const upA = await timed(`${d.url}/v1/programs?name=a`, 'POST', objA, 201);
    f['uploadFirstMs'] = upA.ms;
    await timed(`${d.url}/v1/interfaces`, 'POST', { name: 'lat0', kind: 'pcap' }, 201);
    f['attachFirstMs'] = (await timed(`${d.url}/v1/interfaces/lat0/xdp`, 'PUT', { program: upA.json.id }, 200)).ms;
    const upB = await timed(`${d.url}/v1/programs?name=b`, 'POST', objB, 201);
    f['uploadSecondMs'] = upB.ms;
    f['attachOtherMs'] = (await timed(`${d.url}/v1/interfaces/lat0/xdp`, 'PUT', { program: upB.json.id }, 200)).ms;
    f['reattachCachedMs'] = (await timed(`${d.url}/v1/interfaces/lat0/xdp`, 'PUT', { program: upA.json.id }, 200)).ms;
  } finally {
    await stop(d);
  }
  const idle = await startDaemon(bin, serveArgs);
  try {
    await new Promise((res) => setTimeout(res, Number(values['idle-ms'])));
    const up = await timed(`${idle.url}/v1/programs?name=a`, 'POST', objA, 201);
    await timed(`${idle.url}/v1/interfaces`, 'POST', { name: 'lat0', kind: 'pcap' }, 201);
    f['attachFirstAfterIdleMs'] = (await timed(`${idle.url}/v1/interfaces/lat0/xdp`, 'PUT', { program: up.json.id }, 200)).ms;
  } finally {
    await stop(idle);
  }
  return f;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const samples = bins.map(() => [] as Figures[]);
for (let r = 0; r < runs; r++) {
  for (let b = 0; b < bins.length; b++) {
    const f = await oneRun(bins[b]!);
    samples[b]!.push(f);
    process.stderr.write(`run ${r + 1}/${runs} ${bins[b]}: ${Object.entries(f).map(([k, v]) => `${k}=${v.toFixed(0)}`).join(' ')}\n`);
  }
}

const keys = Object.keys(samples[0]![0]!);
const medians = samples.map((s) => Object.fromEntries(keys.map((k) => [k, Math.round(median(s.map((x) => x[k]!)))])));
const ratios = medians.map((m) => Object.fromEntries(keys.map((k) => [k, Number((m[k]! / medians[0]![k]!).toFixed(3))])));
const result = {
  bench: 'daemon-latency',
  node: process.version,
  workers: Number(values.workers),
  programs: [progA, progB],
  idleMs: Number(values['idle-ms']),
  runs,
  bins: bins.map((bin, i) => ({ bin, medianMs: medians[i], ratioToFirst: ratios[i], samples: samples[i] })),
};
process.stdout.write(`${JSON.stringify({ bins: result.bins.map((b) => ({ bin: b.bin, medianMs: b.medianMs, ratioToFirst: b.ratioToFirst })) }, null, 2)}\n`);
const dir = join(REPO, 'bench', 'results');
await mkdir(dir, { recursive: true });
const file = join(dir, `daemon-latency-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
process.stderr.write(`wrote ${file}\n`);
