/**
 * `xdpjit serve` configuration (design.md §5): every flag also as an environment variable (XDPJIT_<FLAG>)
 * and as a key of the JSON config file, plus `interfaces`, `attachments` and `replays` to create at start.
 * Precedence: flag, then environment, then config file, then default. Relative paths in the config file are
 * relative to the file.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { InterfaceSpec } from '../dataplane/interfaces.js';
import type { AttachBody, ReplayBody } from './control-plane.js';
import { FibConfigError, VirtualFib } from '../vm/helpers/virtual-fib.js';

export class ConfigError extends Error {
  constructor(message: string) { super(message); this.name = 'ConfigError'; }
}

/** An attachment to make at start: `program` is an object path inside the programs directory. */
export interface StartupAttachment extends Omit<AttachBody, 'chain' | 'program'> {
  readonly interface: string;
  readonly program: string;
}

export interface ServeConfig {
  readonly host: string;
  readonly port: number;
  readonly stateDir: string | null;
  readonly workers: number;
  readonly programsDir: string | null;
  readonly pcapsDir: string | null;
  readonly arenaSize: number;
  readonly token: string | null;
  readonly strict: boolean;
  /**
   * `--fib FILE`: the virtual FIB bpf_fib_lookup and bpf_check_mtu answer from in every attached program
   * (JSON as src/vm/helpers/virtual-fib.ts describes, already checked); null: the host-less default.
   */
  readonly fib: unknown;
  readonly interfaces: readonly InterfaceSpec[];
  readonly attachments: readonly StartupAttachment[];
  readonly replays: readonly ReplayBody[];
}

const FLAGS = ['config', 'listen', 'state-dir', 'workers', 'programs-dir', 'pcaps-dir', 'arena-size', 'token', 'fib'] as const;
type Flag = (typeof FLAGS)[number];
const BOOLEAN_FLAGS = ['strict'] as const;

const camel = (f: string): string => f.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const envName = (f: string): string => `XDPJIT_${f.replace(/-/g, '_').toUpperCase()}`;

export const DEFAULT_LISTEN = '127.0.0.1:9800';

export function parseListen(s: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(s);
  if (!m || Number(m[2]) > 65535) throw new ConfigError(`listen address '${s}' is not HOST:PORT`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** Bytes with an optional K/M/G suffix (powers of 1024). */
export function parseSize(s: string | number): number {
  if (typeof s === 'number') return s;
  const m = /^(\d+)\s*([KMG]i?B?)?$/i.exec(s.trim());
  if (!m) throw new ConfigError(`size '${s}' is not BYTES[K|M|G]`);
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(m[2] ?? '').charAt(0).toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(m[1]) * mult;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A FIB configuration (JSON) as VirtualFib reads it, refused naming where it came from and the field. */
function checkedFib(json: unknown, where: string): unknown {
  try {
    VirtualFib.parse(json);
  } catch (err) {
    if (err instanceof FibConfigError) throw new ConfigError(`${where}: ${err.message}`);
    throw err;
  }
  return json;
}

export function parseServeArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const flags = new Map<string, string | boolean>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new ConfigError(`unexpected argument '${a}'`);
    const name = m[1]!;
    if ((BOOLEAN_FLAGS as readonly string[]).includes(name)) { flags.set(name, true); continue; }
    if (!(FLAGS as readonly string[]).includes(name)) throw new ConfigError(`unknown flag --${name}`);
    const v = m[2] ?? args[++i];
    if (v === undefined) throw new ConfigError(`--${name} needs a value`);
    flags.set(name, v);
  }
  const configPath = (flags.get('config') as string | undefined) ?? env[envName('config')];
  let file: Record<string, unknown> = {};
  let fileDir = process.cwd();
  if (configPath) {
    try {
      file = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`config file '${configPath}': ${(err as Error).message}`);
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new ConfigError(`config file '${configPath}' is not a JSON object`);
    fileDir = dirname(resolve(configPath));
  }
  const pick = (f: Flag): { value: string | number | undefined; fromFile: boolean } => {
    const flag = flags.get(f);
    if (typeof flag === 'string') return { value: flag, fromFile: false };
    const e = env[envName(f)];
    if (e !== undefined && e !== '') return { value: e, fromFile: false };
    const v = file[camel(f)] ?? file[f];
    if (v !== undefined && typeof v !== 'string' && typeof v !== 'number') throw new ConfigError(`config key '${camel(f)}' must be a string or number`);
    return { value: v as string | number | undefined, fromFile: v !== undefined };
  };
  const dir = (f: Flag, dflt: string | null): string | null => {
    const { value, fromFile } = pick(f);
    if (value === undefined) return dflt;
    return resolve(fromFile ? fileDir : process.cwd(), String(value));
  };
  const { host, port } = parseListen(String(pick('listen').value ?? DEFAULT_LISTEN));
  const workersRaw = pick('workers').value;
  const workers = workersRaw === undefined ? availableParallelism() : Number(workersRaw);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new ConfigError(`workers must be 1..64, got '${workersRaw}'`);
  const tokenRaw = pick('token').value;
  const token = tokenRaw === undefined || tokenRaw === '' ? null : String(tokenRaw);
  if (!isLoopback(host) && token === null) {
    throw new ConfigError(`listening on non-loopback ${host} requires a token (--token or XDPJIT_TOKEN)`);
  }
  // The config file may also give the FIB inline, as an object instead of a path.
  const readFib = (): unknown => {
    if (typeof file['fib'] === 'object' && file['fib'] !== null && flags.get('fib') === undefined && !env[envName('fib')]) {
      return checkedFib(file['fib'], `config file '${configPath}' key 'fib'`);
    }
    const path = dir('fib', null);
    if (path === null) return null;
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new ConfigError(`fib file '${path}': ${(err as Error).message}`);
    }
    return checkedFib(json, `fib file '${path}'`);
  };
  const list = <T>(key: string): T[] => {
    const v = file[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw new ConfigError(`config key '${key}' must be an array`);
    return v as T[];
  };
  return {
    host, port,
    stateDir: dir('state-dir', null),
    workers,
    programsDir: dir('programs-dir', resolve('programs')),
    pcapsDir: dir('pcaps-dir', resolve('pcaps')),
    arenaSize: parseSize(pick('arena-size').value ?? 1024 ** 3),
    token,
    strict: flags.get('strict') === true || env[envName('strict')] === '1' || file['strict'] === true,
    fib: readFib(),
    interfaces: list<InterfaceSpec>('interfaces'),
    attachments: list<StartupAttachment>('attachments'),
    replays: list<ReplayBody>('replays'),
  };
}
