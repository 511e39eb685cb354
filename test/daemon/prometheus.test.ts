/**
 * A real Prometheus (Debian's /usr/bin/prometheus) scrapes the daemon every second and answers a PromQL query
 * over its HTTP API with the daemon's counters (issue 6). The test starts Prometheus itself on a free
 * loopback port with its own config and storage in a temporary directory, and kills it at the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, constants, writeFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DaemonProcess, makeDirs, removeDirs } from './daemon-process.js';

const PROMETHEUS = process.env.XDPJIT_PROMETHEUS ?? '/usr/bin/prometheus';

async function freeTcpPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

interface VectorSample { readonly value: [number, string] }

async function promQuery(base: string, query: string): Promise<readonly VectorSample[] | null> {
  try {
    const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}`);
    if (!res.ok) return null;
    const body = await res.json() as { status: string; data: { resultType: string; result: VectorSample[] } };
    return body.status === 'success' && body.data.resultType === 'vector' ? body.data.result : null;
  } catch {
    return null; // not serving yet
  }
}

test('Prometheus scrapes /metrics and sum(xdpjit_packets_total) over its query API equals the daemon\'s own counters', async (t) => {
  try { await access(PROMETHEUS, constants.X_OK); } catch {
    t.skip(`no Prometheus binary at ${PROMETHEUS} (Debian package 'prometheus'; or set XDPJIT_PROMETHEUS)`);
    return;
  }
  const dirs = await makeDirs();
  const d = await DaemonProcess.start(dirs);
  t.after(async () => { await d.kill('SIGKILL'); await removeDirs(dirs); });

  const up = await d.req('POST', '/v1/programs?name=fw', { path: 'port_firewall.o' });
  assert.equal(up.status, 201, up.text);
  const blocked = up.json.maps.find((m: { name: string }) => m.name === 'blocked_ports').id;
  assert.equal((await d.req('PUT', `/v1/maps/${blocked}/entries/3500`, { value: '01' })).status, 204);
  assert.equal((await d.req('POST', '/v1/interfaces', { name: 'p0', kind: 'pcap' })).status, 201);
  assert.equal((await d.req('PUT', '/v1/interfaces/p0/xdp', { program: up.json.id })).status, 200);
  const rep = await d.req('POST', '/v1/replays', { interface: 'p0', pcap: 'mixed.pcap', loop: 2 });
  assert.equal(rep.status, 202, rep.text);
  assert.equal((await d.waitReplay(rep.json.id)).state, 'done');
  const daemonTotal = await d.metricSum('xdpjit_packets_total');
  const daemonDrops = await d.metricSum('xdpjit_packets_total', { action: 'drop' });
  assert.ok(daemonTotal > 0 && daemonDrops > 0);

  const promDir = join(dirs.root, 'prometheus');
  await mkdir(promDir);
  const target = new URL(d.url).host;
  await writeFile(join(promDir, 'prometheus.yml'), [
    'global:', '  scrape_interval: 1s', '  evaluation_interval: 1s',
    'scrape_configs:', '  - job_name: xdpjit', '    static_configs:', `      - targets: ['${target}']`, '',
  ].join('\n'));
  const port = await freeTcpPort();
  const prom = spawn(PROMETHEUS, [`--config.file=${join(promDir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(promDir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let promLog = '';
  prom.stderr.on('data', (b: Buffer) => { promLog += b.toString(); });
  const promExited = new Promise<void>((r) => { if (prom.exitCode !== null) r(); else prom.once('exit', () => r()); });
  t.after(async () => { prom.kill('SIGKILL'); await promExited; });

  // The counters stand still after the replay, so once Prometheus has scraped they must be equal exactly.
  const base = `http://127.0.0.1:${port}`;
  const end = Date.now() + 20_000;
  let total: readonly VectorSample[] | null = null;
  while (Date.now() < end && prom.exitCode === null) {
    total = await promQuery(base, 'sum(xdpjit_packets_total)');
    if (total?.length === 1 && Number(total[0]!.value[1]) === daemonTotal) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(total?.length, 1, `Prometheus returned no sample for sum(xdpjit_packets_total); its log:\n${promLog}`);
  assert.equal(Number(total![0]!.value[1]), daemonTotal);
  const drops = await promQuery(base, 'sum(xdpjit_packets_total{interface="p0",program="fw",action="drop"})');
  assert.equal(Number(drops?.[0]?.value[1]), daemonDrops);
  const upSeries = await promQuery(base, 'up{job="xdpjit"}');
  assert.equal(upSeries?.[0]?.value[1], '1', 'the scrape target is healthy');
});
