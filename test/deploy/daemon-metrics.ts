/**
 * The metric names and label names the daemon exports, read from a running daemon's /metrics (started as a
 * user would: `xdpjit serve --config config/default.json --listen 127.0.0.1:0`, whose bundled demo replays a
 * capture through an attached program, so every per-interface series exists). When the daemon cannot start,
 * the metric table of design.md §6 stands in, and the caller is told which source was used.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './repo-files.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface ExportedMetric {
  readonly name: string;
  readonly type: MetricType;
  /** Label names seen on its samples (histograms: without `le`). */
  readonly labels: ReadonlySet<string>;
}

export interface MetricCatalogue {
  /** `none`: neither the daemon nor design.md was available (the caller skips, printing `note`). */
  readonly source: 'daemon' | 'design.md' | 'none';
  readonly note: string;
  readonly metrics: ReadonlyMap<string, ExportedMetric>;
}

/** Series names a metric family produces (Prometheus exposition format: histogram/summary suffixes). */
export function seriesNames(m: ExportedMetric): string[] {
  if (m.type === 'histogram') return [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`];
  if (m.type === 'summary') return [m.name, `${m.name}_sum`, `${m.name}_count`];
  return [m.name];
}

/** Parses the Prometheus text exposition format (families from `# TYPE`, label names from samples). */
export function parseExposition(text: string): Map<string, ExportedMetric> {
  const types = new Map<string, MetricType>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) { types.set(t[1]!, t[2] as MetricType); labels.set(t[1]!, new Set()); continue; }
    const s = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+/.exec(line);
    if (!s) continue;
    const family = [...types.keys()].find((f) => s[1] === f || s[1] === `${f}_bucket` || s[1] === `${f}_sum` || s[1] === `${f}_count`);
    if (family === undefined) continue;
    for (const l of (s[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) if (l[1] !== 'le' && l[1] !== 'quantile') labels.get(family)!.add(l[1]!);
  }
  return new Map([...types].map(([name, type]) => [name, { name, type, labels: labels.get(name)! }]));
}

/** The metric table of design.md §6 (`| \`name\`, \`name\` | type | \`label\`, ... |`). */
export function parseDesignTable(markdown: string): Map<string, ExportedMetric> {
  const out = new Map<string, ExportedMetric>();
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 5 || !/`xdpjit_/.test(cells[1]!)) continue;
    const type = cells[2] as MetricType;
    const lbls = new Set([...cells[3]!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!));
    for (const m of cells[1]!.matchAll(/`(xdpjit_[a-z_]+)`/g)) out.set(m[1]!, { name: m[1]!, type, labels: lbls });
  }
  return out;
}

export interface RunningDaemon {
  readonly url: string;
  stop(): Promise<void>;
}

export const DEMO_CONFIG = join(REPO, 'config', 'default.json');

/** Starts `xdpjit serve --config CONFIG` on a free loopback port (default: the bundled demo); `env` is added. */
export async function startDaemon(config = DEMO_CONFIG, env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<RunningDaemon> {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'xdpjit.js'), 'serve', '--config', config,
    '--listen', '127.0.0.1:0', '--workers', '1', '--arena-size', '64M'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, XDPJIT_LOG_LEVEL: 'warn', XDPJIT_TOKEN: '', XDPJIT_LISTEN: '', XDPJIT_CONFIG: '', XDPJIT_STATE_DIR: '', XDPJIT_PROGRAMS_DIR: '', XDPJIT_PCAPS_DIR: '', ...env },
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no 'listening on' line within ${timeoutMs} ms`)), timeoutMs);
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) { clearTimeout(timer); resolve(m[1]!); }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`daemon exited with ${code}: ${stderr.trim()}`)); });
    });
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function scrapeRunningDaemon(timeoutMs: number): Promise<string> {
  const d = await startDaemon(DEMO_CONFIG, {}, timeoutMs);
  try {
    // The replay in config/default.json runs at capture pace: wait until the first frames are counted so the
    // per-interface families carry their labels.
    const end = Date.now() + timeoutMs;
    for (;;) {
      const text = await (await fetch(`${d.url}/metrics`)).text();
      if (/^xdpjit_packets_total\{/m.test(text) || Date.now() > end) return text;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await d.stop();
  }
}

export async function exportedMetrics(timeoutMs = 30_000): Promise<MetricCatalogue> {
  const built = existsSync(join(REPO, 'dist', 'src', 'cli', 'main.js'));
  try {
    if (!built) throw new Error('dist/src/cli/main.js is not built');
    const metrics = new Map([...parseExposition(await scrapeRunningDaemon(timeoutMs))].filter(([n]) => n.startsWith('xdpjit_')));
    if (metrics.size === 0) throw new Error('the daemon exported no xdpjit_* metric');
    return { source: 'daemon', note: 'metric names read from a running daemon\'s /metrics', metrics };
  } catch (err) {
    const path = join(process.env['XDPJIT_SHARED'] ?? join(REPO, '..', 'shared'), 'design.md');
    const why = `daemon unavailable (${(err as Error).message})`;
    if (!existsSync(path)) return { source: 'none', note: `${why}, and no ${path} (set XDPJIT_SHARED)`, metrics: new Map() };
    return { source: 'design.md', note: `${why}; metric names from ${path} §6`, metrics: parseDesignTable(readFileSync(path, 'utf8')) };
  }
}
