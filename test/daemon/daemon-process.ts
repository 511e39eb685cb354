/**
 * Starts the real daemon (`xdpjit serve`) as a child process on a loopback port 0, as a user would, and
 * talks HTTP to it. Each test gets its own state, programs and pcaps directories.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, cp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(REPO, 'bin', 'xdpjit.js');

export interface DaemonDirs { readonly root: string; readonly state: string; readonly programs: string; readonly pcaps: string }

export async function makeDirs(): Promise<DaemonDirs> {
  const root = await mkdtemp(join(tmpdir(), 'xdpjit-daemon-'));
  const dirs = { root, state: join(root, 'state'), programs: join(root, 'programs'), pcaps: join(root, 'pcaps') };
  await cp(join(REPO, 'programs'), dirs.programs, { recursive: true, filter: (s) => !s.endsWith('.c') });
  await cp(join(REPO, 'pcaps'), dirs.pcaps, { recursive: true, filter: (s) => !s.endsWith('.ts') });
  return dirs;
}

export const removeDirs = (d: DaemonDirs): Promise<void> => rm(d.root, { recursive: true, force: true });

export class DaemonProcess {
  private exited: Promise<number | null>;
  stderr = '';
  /** Sent as a bearer token with every request that does not set its own authorization. */
  token: string | null = null;

  private constructor(readonly child: ChildProcess, readonly url: string) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });
  }

  static async start(dirs: DaemonDirs, extra: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<DaemonProcess> {
    const child = spawn(process.execPath, [BIN, 'serve', '--listen', '127.0.0.1:0', '--workers', '2', '--arena-size', '128M',
      '--state-dir', dirs.state, '--programs-dir', dirs.programs, '--pcaps-dir', dirs.pcaps, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XDPJIT_LOG_LEVEL: 'warn', ...env },
    });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /listening on (http:\/\/\S+)\n/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`daemon exited with ${code} before serving:\n${err}`)));
    });
    const d = new DaemonProcess(child, url);
    child.stderr!.on('data', (b: Buffer) => { d.stderr += b.toString(); });
    return d;
  }

  async req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; text: string }> {
    const init: RequestInit = { method, headers: { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...headers } };
    if (body instanceof Uint8Array) {
      init.body = body;
      (init.headers as Record<string, string>)['content-type'] ??= 'application/octet-stream';
    } else if (typeof body === 'string') {
      init.body = body;
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(this.url + path, init);
    const text = await res.text();
    let json: unknown = undefined;
    try { json = JSON.parse(text); } catch { /* not JSON (metrics) */ }
    return { status: res.status, json, text };
  }

  /** Sum of a metric's samples whose labels include all of `match`. */
  async metricSum(name: string, match: Record<string, string> = {}): Promise<number> {
    const { text } = await this.req('GET', '/metrics');
    let sum = 0;
    for (const line of text.split('\n')) {
      const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      if (Object.entries(match).every(([k, v]) => labels[k] === v)) sum += Number(m[3]);
    }
    return sum;
  }

  async waitReplay(id: string, timeoutMs = 20_000): Promise<any> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.req('GET', `/v1/replays/${id}`);
      if (r.json.state !== 'running') return r.json;
      if (Date.now() > end) throw new Error(`replay ${id} still running after ${timeoutMs} ms`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  kill(signal: NodeJS.Signals): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }

  get exit(): Promise<number | null> { return this.exited; }
}
