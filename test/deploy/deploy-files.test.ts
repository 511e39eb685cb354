/**
 * Every YAML and JSON file under deploy/ parses (YAML: all documents, duplicate keys refused), and the
 * Compose files hang together: build context and Dockerfile exist, bind-mounted files exist, images are
 * pinned, services depend only on services that exist, and Prometheus scrapes the daemon's service and port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deployDocuments, filesUnder, isYamlOrJson, DEPLOY, REPO, parseOne } from './repo-files.js';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: string[] | Record<string, unknown>;
  ports?: string[];
  cap_add?: string[];
  networks?: Record<string, { ipv4_address?: string }> | string[];
}
interface Compose { services: Record<string, ComposeService>; volumes?: Record<string, unknown>; networks?: Record<string, unknown> }

const composeFiles = filesUnder(DEPLOY).filter((f) => /(^|\/)compose[^/]*\.ya?ml$/.test(f));

test('every YAML and JSON file under deploy/ parses', () => {
  const files = filesUnder(DEPLOY).filter(isYamlOrJson);
  assert.ok(files.length >= 5, `expected the deploy files, found ${files.join(', ')}`);
  const parsed = deployDocuments();
  for (const p of parsed) assert.ok(p.documents.length > 0, `${p.file}: empty`);
});

test('compose files: build context, mounted files, pinned images and dependencies exist', () => {
  assert.ok(composeFiles.length >= 2, 'deploy/compose.yaml and the VXLAN example');
  for (const f of composeFiles) {
    const c = parseOne<Compose>(f);
    const dir = join(REPO, dirname(f));
    const names = new Set(Object.keys(c.services));
    for (const [name, s] of Object.entries(c.services)) {
      const where = `${f} service ${name}`;
      assert.ok(s.image || s.build, `${where}: neither image nor build`);
      if (s.build) {
        const ctx = join(dir, s.build.context);
        assert.ok(existsSync(join(ctx, s.build.dockerfile ?? 'Dockerfile')), `${where}: no Dockerfile in build context ${s.build.context}`);
      } else {
        const tag = s.image!.split(':')[1];
        assert.ok(tag && tag !== 'latest' && /\d/.test(tag), `${where}: image ${s.image} is not pinned to a version`);
      }
      for (const v of s.volumes ?? []) {
        const [src] = v.split(':');
        if (src!.startsWith('.') || src!.startsWith('/')) assert.ok(existsSync(join(dir, src!)), `${where}: mounted ${src} does not exist`);
        else assert.ok(c.volumes && src! in c.volumes, `${where}: named volume ${src} not declared`);
      }
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const dep of deps) assert.ok(names.has(dep), `${where}: depends on unknown service ${dep}`);
      if (s.networks && !Array.isArray(s.networks)) for (const n of Object.keys(s.networks)) assert.ok(c.networks && n in c.networks, `${where}: unknown network ${n}`);
      for (const p of s.ports ?? []) assert.match(p, /^127\.0\.0\.1:/, `${where}: publish ${p} on loopback only (the API needs a token beyond it)`);
    }
  }
});

test('compose daemon: token set for the non-loopback listen; Prometheus scrapes it where it listens', () => {
  const c = parseOne<Compose>('deploy/compose.yaml');
  const daemons = Object.entries(c.services).filter(([, s]) => s.build);
  assert.equal(daemons.length, 1);
  const [name, d] = daemons[0]!;
  const listen = d.environment?.['XDPJIT_LISTEN'];
  assert.ok(listen?.startsWith('0.0.0.0:'), 'the daemon listens on all container addresses');
  assert.ok(d.environment?.['XDPJIT_TOKEN'], 'XDPJIT_TOKEN must be set for a non-loopback listen');
  const prom = parseOne<{ scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[] }>('deploy/prometheus/prometheus.yml');
  const targets = prom.scrape_configs.flatMap((s) => s.static_configs.flatMap((x) => x.targets));
  assert.ok(targets.includes(`${name}:${listen!.split(':')[1]}`), `Prometheus targets ${targets.join(', ')} miss ${name}:${listen!.split(':')[1]}`);
  for (const s of prom.scrape_configs) assert.equal(s.metrics_path ?? '/metrics', '/metrics');
});

test('Prometheus configuration passes promtool check config', (t) => {
  try { execFileSync('promtool', ['--version'], { stdio: 'ignore' }); } catch { t.skip('promtool not installed (scripts/install-deps.sh installs prometheus)'); return; }
  execFileSync('promtool', ['check', 'config', '--syntax-only', join(DEPLOY, 'prometheus', 'prometheus.yml')], { stdio: 'pipe' });
});
