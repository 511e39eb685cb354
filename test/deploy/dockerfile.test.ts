/**
 * The Dockerfile checked without a Docker engine: pinned bases, multi-stage with a production-only runtime,
 * a non-root USER, a HEALTHCHECK that really answers against a running daemon, the entrypoint that exists,
 * COPY sources that exist and are inside the build context, environment the daemon accepts, and the
 * package.json facts the image relies on (production dependencies, engines).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';
import { Script } from 'node:vm';
import { parseServeArgs, ConfigError } from '../../src/daemon/serve-config.js';
import { startDaemon } from './daemon-metrics.js';
import { execForm, isIgnored, parseCopy, parseDockerignore, parseEnv, parseStages, type Stage } from './dockerfile-model.js';
import { REPO } from './repo-files.js';

const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
const stages = parseStages(dockerfile);
const runtime = stages[stages.length - 1]!;
const ignore = parseDockerignore(readFileSync(join(REPO, '.dockerignore'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  bin: Record<string, string>; engines: { node: string }; dependencies: Record<string, string>; devDependencies: Record<string, string>;
};

const only = (s: Stage, keyword: string): string[] => s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const last = (s: Stage, keyword: string): string | undefined => only(s, keyword).at(-1);
function stageEnv(s: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const a of only(s, 'ENV')) for (const [k, v] of parseEnv(a)) env.set(k, v);
  return env;
}
/** The Node version of the runtime base image (`node:24.21.0-bookworm-slim` → 24.21.0). */
function imageNodeVersion(): string {
  const m = /^node:(\d+\.\d+\.\d+)(?:-[a-z0-9-]+)?$/.exec(runtime.image);
  assert.ok(m, `runtime base '${runtime.image}' is not node:X.Y.Z[-variant]`);
  return m[1]!;
}

test('base images are pinned to a full version, never latest', () => {
  assert.ok(stages.length >= 2, 'multi-stage: a build stage and a runtime stage');
  for (const s of stages) {
    const [, tag] = s.image.split('@')[0]!.split(':');
    assert.ok(s.image.includes('@sha256:') || (tag !== undefined && /\d+\.\d+\.\d+/.test(tag)), `FROM ${s.image}: pin a full version tag or a digest`);
    assert.ok(!/latest/.test(tag ?? ''), `FROM ${s.image}: latest is not a pin`);
  }
});

test('runtime stage: production dependencies only, compiled output copied from the build stage', () => {
  const build = stages.find((s) => s.name !== null && s !== runtime);
  assert.ok(build, 'a named build stage');
  assert.ok(only(build, 'RUN').some((r) => /\bnpm ci\b/.test(r)), 'build stage installs with npm ci (lockfile)');
  assert.ok(only(build, 'RUN').some((r) => /\btsc\b/.test(r)), 'build stage compiles with tsc');
  const installs = only(runtime, 'RUN').filter((r) => /\bnpm (ci|install)\b/.test(r));
  assert.ok(installs.length > 0, 'runtime stage installs its dependencies');
  for (const r of installs) {
    assert.match(r, /npm ci\b/, 'runtime installs from the lockfile');
    assert.match(r, /--omit=dev/, 'runtime omits dev dependencies');
    assert.match(r, /--ignore-scripts/, 'runtime runs no install scripts (prepare would need tsc)');
  }
  const buildWorkdir = last(build, 'WORKDIR') ?? '/';
  const buildCopies = build.instructions.filter((i) => i.keyword === 'COPY').map(parseCopy);
  const fromBuild = runtime.instructions.filter((i) => i.keyword === 'COPY').map(parseCopy).filter((c) => c.from === build.name);
  assert.ok(fromBuild.length > 0, 'runtime copies the compiled output from the build stage');
  const tsconfig = JSON.parse(readFileSync(join(REPO, 'tsconfig.json'), 'utf8')) as { compilerOptions: { outDir: string; rootDir: string } };
  for (const c of fromBuild) {
    for (const src of c.sources) {
      // /src/dist/X is tsc's output for the source tree X (outDir dist, rootDir .): X must be copied into the stage.
      const rel = posix.relative(buildWorkdir, src);
      const m = new RegExp(`^${tsconfig.compilerOptions.outDir}/(.+)$`).exec(rel);
      assert.ok(m && tsconfig.compilerOptions.rootDir === '.', `Dockerfile:${c.line}: ${src} is not tsc output of the build stage`);
      const tree = m[1]!;
      assert.ok(buildCopies.some((bc) => bc.from === null && bc.sources.includes(tree)), `Dockerfile:${c.line}: ${tree}/ is not copied into the build stage`);
      assert.ok(existsSync(join(REPO, tree)), `${tree}/ does not exist in the repository`);
    }
  }
  // bin/xdpjit.js loads dist/src/cli/main.js: that tree must be in the image.
  const binText = readFileSync(join(REPO, pkg.bin['xdpjit']!), 'utf8');
  const loads = /import\('\.\.\/(dist\/[^']+)'\)/.exec(binText);
  assert.ok(loads, 'bin/xdpjit.js loads the compiled CLI');
  const workdir = last(runtime, 'WORKDIR') ?? '/';
  const dests = fromBuild.map((c) => posix.relative(workdir, posix.resolve(workdir, c.dest)));
  assert.ok(dests.some((d) => loads[1]!.startsWith(`${d}/`)), `${loads[1]} is not copied into the image (copied: ${dests.join(', ')})`);
});

test('every COPY source from the build context exists and is not excluded by .dockerignore', () => {
  for (const s of stages) {
    for (const c of s.instructions.filter((i) => i.keyword === 'COPY').map(parseCopy).filter((x) => x.from === null)) {
      for (const src of c.sources) {
        assert.ok(existsSync(join(REPO, src)), `Dockerfile:${c.line}: COPY ${src}: no such path in the repository`);
        assert.ok(!isIgnored(ignore, src), `Dockerfile:${c.line}: COPY ${src} is excluded by .dockerignore`);
      }
    }
  }
  for (const heavy of ['node_modules', 'dist', '.git']) assert.ok(isIgnored(ignore, heavy), `.dockerignore should leave out ${heavy}`);
});

test('the image carries the bundled programs, captures and config the default config refers to', () => {
  const copied = runtime.instructions.filter((i) => i.keyword === 'COPY').map(parseCopy).filter((c) => c.from === null).flatMap((c) => c.sources);
  for (const dir of ['bin', 'config', 'programs', 'pcaps']) assert.ok(copied.includes(dir), `runtime stage does not COPY ${dir}/`);
  const cfg = JSON.parse(readFileSync(join(REPO, 'config', 'default.json'), 'utf8')) as { attachments: { program: string }[]; replays: { pcap: string }[] };
  for (const a of cfg.attachments) assert.ok(!isIgnored(ignore, `programs/${a.program}`), `programs/${a.program} is left out of the image`);
  for (const r of cfg.replays) assert.ok(!isIgnored(ignore, `pcaps/${r.pcap}`), `pcaps/${r.pcap} is left out of the image`);
  const objects = readdirSync(join(REPO, 'programs')).filter((f) => f.endsWith('.o'));
  for (const o of objects) assert.ok(!isIgnored(ignore, `programs/${o}`), `programs/${o} is left out of the image`);
});

test('runs as a non-root user', () => {
  const user = last(runtime, 'USER');
  assert.ok(user, 'runtime stage sets USER');
  const [name] = user.split(':');
  assert.ok(name !== 'root' && name !== '0', `USER ${user} is root`);
  assert.ok(/^\d+$/.test(name!), `USER ${user}: a numeric uid lets Kubernetes enforce runAsNonRoot`);
});

test('entrypoint is `node bin/xdpjit.js serve`, and that command exists', () => {
  const ep = execForm(last(runtime, 'ENTRYPOINT') ?? '');
  assert.deepEqual(ep, ['node', 'bin/xdpjit.js', 'serve']);
  assert.equal(pkg.bin['xdpjit'], 'bin/xdpjit.js');
  const help = spawnSync(process.execPath, [join(REPO, 'bin', 'xdpjit.js'), 'serve', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /usage: xdpjit serve/);
});

test('image environment is configuration the daemon accepts; a non-loopback listen needs XDPJIT_TOKEN', () => {
  const env = Object.fromEntries(stageEnv(runtime));
  const xdpjit = Object.keys(env).filter((k) => k.startsWith('XDPJIT_'));
  assert.ok(xdpjit.includes('XDPJIT_LISTEN'), 'image sets XDPJIT_LISTEN');
  const helpText = execFileSync(process.execPath, [join(REPO, 'bin', 'xdpjit.js'), 'serve', '--help'], { encoding: 'utf8' });
  for (const k of xdpjit) {
    const flag = `--${k.slice('XDPJIT_'.length).toLowerCase().replace(/_/g, '-')}`;
    assert.ok(helpText.includes(flag), `${k}: serve has no ${flag}`);
  }
  assert.throws(() => parseServeArgs([], env), (e: unknown) => e instanceof ConfigError && /token/.test(e.message));
  const cfg = parseServeArgs([], { ...env, XDPJIT_TOKEN: 'secret' });
  assert.equal(cfg.host, '0.0.0.0');
  const workdir = last(runtime, 'WORKDIR')!;
  for (const [k, dir] of [['XDPJIT_PROGRAMS_DIR', 'programs'], ['XDPJIT_PCAPS_DIR', 'pcaps']] as const) {
    if (env[k] !== undefined) assert.equal(env[k], posix.join(workdir, dir), `${k} points at the bundled ${dir}/`);
  }
  if (env['XDPJIT_STATE_DIR'] !== undefined) {
    assert.ok(only(runtime, 'RUN').some((r) => r.includes(env['XDPJIT_STATE_DIR']!) && /chown/.test(r)), 'the state dir is made writable for the USER');
  }
  const exposed = only(runtime, 'EXPOSE').flatMap((e) => e.split(/\s+/));
  assert.ok(exposed.includes(`${cfg.port}/tcp`) || exposed.includes(String(cfg.port)), `EXPOSE ${cfg.port} (the listen port)`);
  assert.ok(exposed.includes('4789/udp'), 'EXPOSE 4789/udp (VXLAN, RFC 7348)');
});

test('HEALTHCHECK asks /healthz with node alone: healthy against a running daemon, unhealthy without one', async (t) => {
  const hc = last(runtime, 'HEALTHCHECK');
  assert.ok(hc, 'runtime stage has a HEALTHCHECK');
  const m = /CMD\s+(\[.*\])\s*$/.exec(hc);
  assert.ok(m, 'HEALTHCHECK CMD in exec form');
  const cmd = execForm(m[1]!)!;
  assert.equal(cmd[0], 'node', 'no curl in the slim image: node runs the probe');
  assert.equal(cmd[1], '-e');
  assert.match(cmd[2]!, /\/healthz/);
  assert.doesNotThrow(() => new Script(cmd[2]!), 'the probe is valid JavaScript');
  const probe = (listen: string): number | null =>
    spawnSync(process.execPath, cmd.slice(1), { env: { ...process.env, XDPJIT_LISTEN: listen }, timeout: 10_000 }).status;
  let d;
  try {
    d = await startDaemon();
  } catch (err) {
    t.skip(`daemon cannot start here: ${(err as Error).message}`);
    return;
  }
  try {
    const port = new URL(d.url).port;
    assert.equal(probe(`0.0.0.0:${port}`), 0, 'healthy while the daemon serves');
  } finally {
    await d.stop();
  }
  assert.equal(probe(`0.0.0.0:${new URL(d.url).port}`), 1, 'unhealthy once it is gone');
});

test('every package the compiled daemon imports is a production dependency (the image omits dev ones)', () => {
  const bare = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(/(?:^|\n)\s*import\s+(?!type\b)[^;]*?from\s+'([^'.][^']*)'|import\('([^'.][^']*)'\)/g)) bare.add((m[1] ?? m[2])!);
      }
    }
  };
  walk(join(REPO, 'src'));
  walk(join(REPO, 'jit'));
  const builtins = new Set(builtinModules);
  for (const spec of bare) {
    if (spec.startsWith('node:') || builtins.has(spec)) continue;
    const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
    assert.ok(name in pkg.dependencies, `src/jit import '${spec}': '${name}' is not in dependencies${name in pkg.devDependencies ? ' (it is a devDependency, absent from the image)' : ''}`);
  }
});

test('package.json engines admits Node 20 and the image\'s Node major', () => {
  const majors = [20, Number(imageNodeVersion().split('.')[0])];
  const range = pkg.engines.node;
  const m = /^>=\s*(\d+)(?:\.\d+)*$/.exec(range.trim());
  assert.ok(m, `engines.node '${range}': expected a '>=N' lower bound`);
  for (const major of majors) assert.ok(major >= Number(m[1]), `engines.node '${range}' excludes Node ${major}`);
});
