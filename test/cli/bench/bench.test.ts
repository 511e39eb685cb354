/**
 * `xdpjit bench` (design.md §5): argument handling and exit codes, the --json object's shape on a tiny run
 * (XDPJIT_BENCH_MS keeps the measuring window short; structure only, never timing thresholds), the
 * skipReason path without the kernel (XDPJIT_NO_KERNEL), the kernel figures where the kernel is usable, and
 * the suite's SVG chart as well-formed XML.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../../src/cli/bench.js';
import { readCapture } from '../../../src/dataplane/capture/read-capture.js';
import { parseObject } from '../../../src/ebpf/loader.js';
import { runCapture } from '../../../src/vm/runtime/run-capture.js';
import { kernelAvailable } from '../../../src/oracle/index.js';
import { renderChart } from '../../../bench/chart.js';
import { geomean } from '../../../bench/suite.js';
import { measureSideBySide, median } from '../../../src/bench/measure.js';
import { checkXml } from './xml-check.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const prog = (n: string): string => join(ROOT, 'programs', `${n}.o`);
const MIXED = join(ROOT, 'pcaps', 'mixed.pcap');
const FLOOD = join(ROOT, 'pcaps', 'flood64.pcap');

async function xdpjit(env: Record<string, string | undefined>, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  // Text only: the test runner reports to its parent through stdout in binary frames, which may be written
  // while a run awaits (worker start-up) and must pass through.
  process.stdout.write = ((s: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof s !== 'string') return (o as (...a: unknown[]) => boolean)(s, ...rest);
    out += s;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof s !== 'string') return (e as (...a: unknown[]) => boolean)(s, ...rest);
    err += s;
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await run(args), out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const resultDirs: string[] = [];
after(() => { for (const d of resultDirs) rmSync(d, { recursive: true, force: true }); });

/** A tiny, kernel-less run writing its results file into a fresh directory. */
function tinyEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'xdpjit-bench-'));
  resultDirs.push(dir);
  return { XDPJIT_BENCH_MS: '20', XDPJIT_NO_KERNEL: '1', XDPJIT_BENCH_RESULTS_DIR: dir, ...extra };
}

test('bad usage and bad input exit 2 with the usage or the reason on stderr', async () => {
  const env = tinyEnv();
  const cases: [string[], RegExp][] = [
    [[prog('xdp_pass')], /--pcap FILE is required/],
    [['--pcap', MIXED], /exactly one object/],
    [[prog('xdp_pass'), prog('xdp_drop'), '--pcap', MIXED], /exactly one object/],
    [[prog('xdp_pass'), '--pcap', MIXED, '--engine', 'fast'], /--engine is jit, interp or both/],
    [[prog('xdp_pass'), '--pcap', MIXED, '--cpus', '0'], /--cpus/],
    [[prog('xdp_pass'), '--pcap', MIXED, '--cpus', 'two'], /--cpus/],
    [[prog('xdp_pass'), '--pcap', MIXED, '--bogus'], /Unknown option/],
    [[join(ROOT, 'nope.o'), '--pcap', MIXED], /cannot read object/],
    [[prog('xdp_pass'), '--pcap', join(ROOT, 'nope.pcap')], /cannot read capture/],
    [[prog('xdp_pass'), '--pcap', join(ROOT, 'pcaps', 'raw.pcap')], /link type|LINKTYPE|Ethernet/i],
    [[prog('xdp_pass'), '--pcap', join(ROOT, 'pcaps', 'mixed.pcap'), '--prog', 'nosuch'], /no program 'nosuch'/],
    [[join(ROOT, 'pcaps', 'mixed.pcap'), '--pcap', MIXED], /.+/],
    [[prog('port_firewall'), '--pcap', MIXED, '--maps', join(ROOT, 'nope.maps')], /cannot read maps file/],
  ];
  for (const [args, message] of cases) {
    const r = await xdpjit(env, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message, args.join(' '));
    assert.equal(r.out, '', 'nothing on stdout for a refused run');
  }
  const bad = await xdpjit({ ...env, XDPJIT_BENCH_MS: 'soon' }, prog('xdp_pass'), '--pcap', MIXED);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /XDPJIT_BENCH_MS/);
  assert.deepEqual(readdirSync(env.XDPJIT_BENCH_RESULTS_DIR!), [], 'refused runs write no results file');
});

test('--help prints the usage and exits 0', async () => {
  const r = await xdpjit({}, '--help');
  assert.equal(r.code, 0);
  assert.match(r.out, /^usage: xdpjit bench OBJ --pcap FILE/);
});

test('a program the verifier rejects exits 1 with the rejection on stderr', async () => {
  const r = await xdpjit(tinyEnv(), join(ROOT, 'programs', 'rejected', 'pkt_no_bounds.o'), '--pcap', MIXED);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /insn \d+/);
});

test('--json: exactly one object of the design.md §5 shape; kernel skipped with a reason; results file written', async () => {
  const env = tinyEnv();
  const r = await xdpjit(env, prog('port_firewall'), '--pcap', MIXED, '--maps', join(ROOT, 'programs', 'port_firewall.maps'), '--engine', 'both', '--json');
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n');
  assert.equal(lines.length, 1, 'one line of JSON on stdout');
  const o = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(o), ['program', 'frames', 'results', 'kernel', 'ratio']);
  assert.equal(o.program, 'port_firewall');
  assert.equal(o.frames, 363);
  const results = o.results as Record<string, unknown>[];
  assert.deepEqual(results.map((x) => x.engine), ['jit', 'interp']);
  for (const x of results) {
    assert.deepEqual(Object.keys(x), ['engine', 'nsPerPacket', 'mpps', 'floorNsPerPacket', 'marginalNsPerPacket', 'actions']);
    for (const k of ['nsPerPacket', 'mpps', 'floorNsPerPacket', 'marginalNsPerPacket']) assert.equal(typeof x[k], 'number', k);
    assert.ok((x.nsPerPacket as number) > 0 && (x.floorNsPerPacket as number) > 0);
    assert.ok(Math.abs((x.mpps as number) - 1000 / (x.nsPerPacket as number)) < 1e-9, 'Mpps = 1000 / ns');
    assert.ok(Math.abs((x.marginalNsPerPacket as number) - ((x.nsPerPacket as number) - (x.floorNsPerPacket as number))) < 1e-9);
    const actions = x.actions as Record<string, number>;
    assert.ok(Object.keys(actions).every((a) => /^XDP_(ABORTED|DROP|PASS|TX|REDIRECT)$|^UNKNOWN\(\d+\)$/.test(a)));
    assert.equal(Object.values(actions).reduce((s, n) => s + n, 0), 363, 'every frame counted once');
    assert.ok(actions.XDP_DROP! > 0 && actions.XDP_PASS! > 0, 'the map fill was applied: blocked ports drop');
  }
  assert.deepEqual(results[0]!.actions, results[1]!.actions, 'both engines agree on the actions');
  assert.deepEqual(o.kernel, { skipReason: 'XDPJIT_NO_KERNEL is set' });
  assert.deepEqual(o.ratio, { endToEnd: null, marginal: null });
  assert.match(r.err, /no kernel figure: XDPJIT_NO_KERNEL is set/);
  const files = readdirSync(env.XDPJIT_BENCH_RESULTS_DIR!);
  assert.equal(files.length, 1);
  assert.match(files[0]!, /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.json$/);
  const saved = JSON.parse(readFileSync(join(env.XDPJIT_BENCH_RESULTS_DIR!, files[0]!), 'utf8')) as Record<string, unknown>;
  assert.deepEqual({ ...saved, run: undefined }, { ...o, run: undefined }, 'the file holds the printed object (plus how it was run)');
});

test('frames over 3,520 bytes are placed as fragments: an xdp.frags program decides as it does under xdpjit run', async () => {
  // loads_bytes reads the frame's last 16 bytes (in the fragments for the multi-buffer frames of mixed.pcap).
  const r = await xdpjit(tinyEnv(), prog('loads_bytes'), '--pcap', MIXED, '--engine', 'both', '--json');
  assert.equal(r.code, 0, r.err);
  const o = JSON.parse(r.out) as { results: { actions: Record<string, number> }[] };
  const spec = parseObject(readFileSync(prog('loads_bytes')));
  const frames = readCapture(readFileSync(MIXED)).frames.map((f) => ({ data: f.data, tsNs: f.tsNs }));
  const once = await runCapture(spec, frames, { engine: 'interp' });
  const expected: Record<string, number> = {};
  for (const f of once.frames) expected[f.action] = (expected[f.action] ?? 0) + 1;
  for (const x of o.results) assert.deepEqual(x.actions, expected);
});

test('default engine is the JIT; the table says why the kernel figure is missing', async () => {
  const r = await xdpjit(tinyEnv(), prog('xdp_drop'), '--pcap', FLOOD);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^program xdp_drop: 8192 frames from /);
  assert.match(r.out, /\njit +[\d.]+ +[\d.]+ +[\d.]+ +-?[\d.]+ +XDP_DROP:8192\n/);
  assert.doesNotMatch(r.out, /\ninterp /);
  assert.match(r.out, /kernel: no figure: XDPJIT_NO_KERNEL is set\n/);
});

test('--cpus 2: worker threads over the shared arena; CPU time per packet, Mpps for both CPUs', async () => {
  const r = await xdpjit(tinyEnv(), prog('port_firewall'), '--pcap', MIXED, '--maps', join(ROOT, 'programs', 'port_firewall.maps'), '--cpus', '2', '--json');
  assert.equal(r.code, 0, r.err);
  const o = JSON.parse(r.out) as { frames: number; results: { nsPerPacket: number; mpps: number; actions: Record<string, number> }[] };
  assert.equal(o.results.length, 1);
  const x = o.results[0]!;
  assert.ok(Math.abs(x.mpps - 2000 / x.nsPerPacket) < 1e-9);
  assert.equal(Object.values(x.actions).reduce((s, n) => s + n, 0), o.frames, 'actions are one CPU\'s pass');
  assert.ok(x.actions.XDP_DROP! > 0);
});

test('with the kernel: its figure, its floor and both ratios', async (t) => {
  const k = await kernelAvailable();
  if (!k.ok) { t.skip(`kernel unavailable: ${k.reason}`); return; }
  const r = await xdpjit(tinyEnv({ XDPJIT_NO_KERNEL: undefined }), prog('proto_count'), '--pcap', MIXED, '--json');
  assert.equal(r.code, 0, r.err);
  const o = JSON.parse(r.out) as { kernel: Record<string, number>; ratio: Record<string, number | null>; results: Record<string, number>[] };
  assert.deepEqual(Object.keys(o.kernel), ['nsPerPacket', 'floorNsPerPacket', 'marginalNsPerPacket']);
  assert.ok(o.kernel.nsPerPacket! > 0 && o.kernel.floorNsPerPacket! > 0);
  assert.ok(Math.abs(o.kernel.marginalNsPerPacket! - (o.kernel.nsPerPacket! - o.kernel.floorNsPerPacket!)) < 1e-9);
  assert.ok(Math.abs(o.ratio.endToEnd! - o.results[0]!.nsPerPacket! / o.kernel.nsPerPacket!) < 1e-9);
  if (o.kernel.marginalNsPerPacket! > 0) assert.equal(typeof o.ratio.marginal, 'number');
  else assert.equal(o.ratio.marginal, null, 'no marginal ratio over a non-positive kernel marginal');
});

test('chart: well-formed SVG with one bar pair per row, names escaped, missing kernel figures drawn as such', () => {
  const rows = [
    { label: 'a<b>&"c\'', ours: { nsPerPacket: 12.5, floorNsPerPacket: 4 }, kernel: { nsPerPacket: 20, floorNsPerPacket: 12 }, marginalRatio: 1.06, endToEndRatio: 0.62 },
    { label: 'slow', ours: { nsPerPacket: 5000, floorNsPerPacket: 4 }, kernel: { nsPerPacket: 30, floorNsPerPacket: 12 }, marginalRatio: 277, endToEndRatio: 166 },
    { label: 'nokernel', ours: { nsPerPacket: 9, floorNsPerPacket: 10 } },
    { label: 'nan', ours: { nsPerPacket: Number.NaN, floorNsPerPacket: 4 }, kernel: { nsPerPacket: 20, floorNsPerPacket: 12 }, marginalRatio: null },
  ];
  const svg = renderChart('suite & <title>', [{ title: 'flood64.pcap', rows }, { title: 'mixed.pcap', rows: [] }]);
  const { problems, elements } = checkXml(svg);
  assert.deepEqual(problems, []);
  assert.equal(elements[0], 'svg');
  assert.match(svg, /a&lt;b&gt;&amp;&quot;c&apos;/);
  assert.match(svg, /no kernel figure/);
  assert.doesNotMatch(svg, /NaN|Infinity|undefined/);
  // Background + per bar two rects (floor, marginal): 3 rows with a kernel bar, 1 without; 4 legend swatches.
  assert.equal(elements.filter((e) => e === 'rect').length, 1 + 2 * (4 + 3) + 4);
  for (const w of svg.matchAll(/width="(-?[\d.]+)"/g)) assert.ok(Number(w[1]) >= 0, 'no negative widths');
});

test('chart check itself: catches broken XML', () => {
  assert.notDeepEqual(checkXml('<svg><g></svg>').problems, []);
  assert.notDeepEqual(checkXml('<svg><text>a & b</text></svg>').problems, []);
  assert.notDeepEqual(checkXml('<svg x="1" x="2"/>').problems, []);
  assert.notDeepEqual(checkXml('<svg x=1/>').problems, []);
  assert.deepEqual(checkXml('<?xml version="1.0"?>\n<svg a="&amp;"><t>x &lt; y</t></svg>\n').problems, []);
});

test('measureSideBySide: one figure per subject from the same rounds, packets as the subjects report them', () => {
  let aSteps = 0;
  let bSteps = 0;
  const a = { run: (steps: number) => { aSteps += steps; return steps * 64; } };
  const b = { run: (steps: number) => { bSteps += steps; return steps * 8; } };
  const progress: number[] = [];
  const [ma, mb] = measureSideBySide([a, b], { capMs: 30, onProgress: (f) => progress.push(f) });
  assert.ok(ma && mb);
  assert.equal(ma.rounds, mb.rounds, 'interleaved: both subjects run in every round');
  assert.ok(ma.rounds >= 2);
  assert.ok(ma.packets > 0 && ma.packets % 64 === 0 && ma.packets <= aSteps * 64);
  assert.ok(mb.packets > 0 && mb.packets % 8 === 0 && mb.packets <= bSteps * 8);
  for (const m of [ma, mb]) assert.ok(Number.isFinite(m.nsPerPacket) && m.nsPerPacket >= 0);
  assert.equal(progress.at(-1), 1);
  assert.ok(progress.every((f) => f >= 0 && f <= 1));
});

test('median and geomean: what the figures are reduced with', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  const g = geomean([2, 8, null, -1, 0, Number.NaN]);
  assert.equal(g.n, 2);
  assert.equal(g.excluded, 2, 'non-positive ratios are counted as left out');
  assert.ok(Math.abs(g.value! - 4) < 1e-12);
  assert.equal(geomean([]).value, null);
});
