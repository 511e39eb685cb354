/**
 * `xdpjit stats`: the daemon's packet counters from /metrics, summed over CPUs, per interface × program ×
 * action (the same numbers Prometheus scrapes; `--per-cpu` keeps the CPU split).
 */
import { COMMON_OPTIONS, DaemonClient, parseArgs, printJson, runVerb } from './daemon-client.js';
import { printTable } from './table.js';

const USAGE = `usage: xdpjit stats [--per-cpu]
Packet counters per interface, program and action (from /metrics, the numbers Prometheus scrapes), summed
over CPUs; bytes, exceptions and redirect errors beside them.
options:
  --per-cpu      one row per CPU instead of the sum
${COMMON_OPTIONS}`;

const ACTIONS = ['pass', 'drop', 'tx', 'redirect', 'aborted', 'unknown'] as const;

interface Row { interface: string; program: string; cpu?: string; packets: Record<string, number>; bytes: number; exceptions: number; redirectErrors: number }

/** Samples of the Prometheus text format: name, labels, value. */
function* samples(text: string): Generator<{ name: string; labels: Record<string, string>; value: number }> {
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    yield { name: m[1]!, labels, value: Number(m[3]) };
  }
}

export function run(args: string[]): Promise<number> {
  return runVerb('stats', USAGE, async () => {
    const p = parseArgs(args, ['per-cpu']);
    const c = new DaemonClient(p);
    const perCpu = p.options.get('per-cpu') === true;
    const text: string = await c.request('GET', '/metrics');
    const rows = new Map<string, Row>();
    for (const s of samples(text)) {
      const { interface: iface, program, cpu } = s.labels;
      if (iface === undefined || program === undefined) continue;
      const key = perCpu ? `${iface}\0${program}\0${cpu}` : `${iface}\0${program}`;
      let r = rows.get(key);
      if (!r) {
        r = { interface: iface, program, ...(perCpu ? { cpu: cpu ?? '' } : {}), packets: Object.fromEntries(ACTIONS.map((a) => [a, 0])), bytes: 0, exceptions: 0, redirectErrors: 0 };
        rows.set(key, r);
      }
      if (s.name === 'xdpjit_packets_total') r.packets[s.labels['action']!] = (r.packets[s.labels['action']!] ?? 0) + s.value;
      else if (s.name === 'xdpjit_bytes_total') r.bytes += s.value;
      else if (s.name === 'xdpjit_exceptions_total') r.exceptions += s.value;
      else if (s.name === 'xdpjit_redirect_errors_total') r.redirectErrors += s.value;
    }
    const list = [...rows.values()];
    if (c.json) { printJson(list); return 0; }
    printTable(['interface', 'program', ...(perCpu ? ['cpu'] : []), ...ACTIONS, 'bytes', 'exceptions', 'redirect errors'],
      list.map((r) => [r.interface, r.program, ...(perCpu ? [r.cpu ?? ''] : []), ...ACTIONS.map((a) => r.packets[a] ?? 0), r.bytes, r.exceptions, r.redirectErrors]));
    return 0;
  });
}
