/**
 * What every client verb shares (design.md §5): `--server URL` (default http://127.0.0.1:9800, env
 * XDPJIT_SERVER), `--token` (env XDPJIT_TOKEN), `--json`, `--help`; one request helper that turns the daemon's error
 * contract into a message and an exit code (4xx: bad usage or input → 2; verifier rejection → 1; daemon
 * unreachable or 5xx → 1).
 */
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:9800';

export class ClientUsageError extends Error {
  constructor(message: string) { super(message); this.name = 'ClientUsageError'; }
}

/** `--help` / `-h` anywhere among a verb's arguments: its usage on stdout, exit 0. */
export class HelpRequested extends Error {
  constructor() { super('help requested'); this.name = 'HelpRequested'; }
}

/** The options every client verb takes, appended to each verb's usage. */
export const COMMON_OPTIONS = `common options:
  --server URL   the daemon (env XDPJIT_SERVER; default ${DEFAULT_SERVER})
  --token T      bearer token, when the daemon requires one (env XDPJIT_TOKEN)
  --json         print the daemon's JSON answer instead of a table
  -h, --help     this text
`;

/** A request that the daemon refused, or that did not reach it. */
export class RequestFailed extends Error {
  constructor(message: string, readonly exitCode: number) { super(message); this.name = 'RequestFailed'; }
}

export interface ParsedArgs {
  readonly positional: string[];
  readonly options: Map<string, string | true>;
}

/** `--flag value`, `--flag=value`, and the boolean flags listed in `booleans`. */
export function parseArgs(args: readonly string[], booleans: readonly string[] = []): ParsedArgs {
  if (args.includes('--help') || args.includes('-h')) throw new HelpRequested();
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) { positional.push(a); continue; }
    const name = m[1]!;
    if (booleans.includes(name) || name === 'json') { options.set(name, true); continue; }
    const v = m[2] ?? args[++i];
    if (v === undefined) throw new ClientUsageError(`--${name} needs a value`);
    options.set(name, v);
  }
  return { positional, options };
}

export const opt = (p: ParsedArgs, name: string): string | undefined => {
  const v = p.options.get(name);
  return typeof v === 'string' ? v : undefined;
};

export class DaemonClient {
  readonly json: boolean;
  private readonly server: string;
  private readonly token: string | undefined;

  constructor(p: ParsedArgs) {
    this.server = (opt(p, 'server') ?? process.env['XDPJIT_SERVER'] ?? DEFAULT_SERVER).replace(/\/+$/, '');
    this.token = opt(p, 'token') ?? (process.env['XDPJIT_TOKEN'] || undefined);
    this.json = p.options.get('json') === true;
  }

  get url(): string { return this.server; }

  async request(method: string, path: string, body?: unknown): Promise<any> {
    const headers: Record<string, string> = {};
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    let payload: Uint8Array | string | undefined;
    if (body instanceof Uint8Array) { payload = body; headers['content-type'] = 'application/octet-stream'; }
    else if (body !== undefined) { payload = JSON.stringify(body); headers['content-type'] = 'application/json'; }
    let res: Response;
    try {
      res = await fetch(this.server + path, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new RequestFailed(`cannot reach the daemon at ${this.server} (${cause}); is \`xdpjit serve\` running?`, EXIT_FAILURE);
    }
    const text = await res.text();
    if (res.ok) {
      if (text === '') return undefined;
      try { return JSON.parse(text); } catch { return text; }
    }
    let e: { error?: string; message?: string; detail?: unknown } = {};
    try { e = JSON.parse(text) as typeof e; } catch { e = { message: text }; }
    const detail = e.detail !== undefined && e.detail !== null && e.error === 'verifier_rejected' ? `\n${JSON.stringify(e.detail, null, 2)}` : '';
    const code = e.error === 'verifier_rejected' || res.status >= 500 || e.error === 'unauthorized' ? EXIT_FAILURE : EXIT_USAGE;
    throw new RequestFailed(`${method} ${path}: ${res.status} ${e.error ?? ''}: ${e.message ?? text}${detail}`, code);
  }
}

/** Run a verb body, mapping usage and request errors to messages on stderr and exit codes. */
export async function runVerb(verb: string, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof HelpRequested) { process.stdout.write(usage); return EXIT_OK; }
    if (err instanceof ClientUsageError) { process.stderr.write(`xdpjit ${verb}: ${err.message}\n${usage}`); return EXIT_USAGE; }
    if (err instanceof RequestFailed) { process.stderr.write(`xdpjit ${verb}: ${err.message}\n`); return err.exitCode; }
    throw err;
  }
}

export function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}
