/** `xdpjit replay start|status|stop`: capture replays on a running daemon (/v1/replays). */
import { COMMON_OPTIONS, ClientUsageError, DaemonClient, opt, parseArgs, printJson, runVerb } from './daemon-client.js';
import { printTable } from './table.js';

const USAGE = `usage: xdpjit replay start IFACE PCAP [--speed S] [--loop N] [--clock capture|wall]
       xdpjit replay status [ID]                      every replay, or one
       xdpjit replay stop ID
PCAP is a path inside the daemon's --pcaps-dir.
options:
  --speed S      0 = as fast as possible (default), 1 = capture pace, k = k times faster
  --loop N       passes over the capture (default 1; 0 = until stopped)
  --clock C      capture: the helpers' time follows the capture's timestamps; wall (default): host time
${COMMON_OPTIONS}`;

interface ReplayStatus { id: string; interface: string; pcap?: string; state: string; framesSent: number; framesTotal: number | null; startedAt: string; finishedAt: string | null; error?: string }

function table(list: ReplayStatus[]): void {
  printTable(['id', 'interface', 'pcap', 'state', 'sent', 'total', 'started'],
    list.map((r) => [r.id, r.interface, r.pcap ?? '', r.state + (r.error ? ` (${r.error})` : ''), r.framesSent, r.framesTotal ?? '∞', r.startedAt]));
}

function num(p: ReturnType<typeof parseArgs>, name: string): number | undefined {
  const v = opt(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new ClientUsageError(`--${name} must be a number ≥ 0`);
  return n;
}

export function run(args: string[]): Promise<number> {
  return runVerb('replay', USAGE, async () => {
    const p = parseArgs(args);
    const c = new DaemonClient(p);
    const [sub, a, b] = p.positional;
    switch (sub) {
      case 'start': {
        if (!a || !b) throw new ClientUsageError('replay start needs IFACE and PCAP');
        const speed = num(p, 'speed'), loop = num(p, 'loop'), clock = opt(p, 'clock');
        const res: { id: string } = await c.request('POST', '/v1/replays', {
          interface: a, pcap: b, ...(speed !== undefined ? { speed } : {}), ...(loop !== undefined ? { loop } : {}), ...(clock ? { clock } : {}),
        });
        if (c.json) printJson(res); else process.stdout.write(`replay ${res.id} started\n`);
        return 0;
      }
      case 'status': {
        const list: ReplayStatus[] = a ? [await c.request('GET', `/v1/replays/${encodeURIComponent(a)}`)] : await c.request('GET', '/v1/replays');
        if (c.json) printJson(a ? list[0] : list); else table(list);
        return 0;
      }
      case 'stop': {
        if (!a) throw new ClientUsageError('replay stop needs an ID');
        const res: ReplayStatus = await c.request('DELETE', `/v1/replays/${encodeURIComponent(a)}`);
        if (c.json) printJson(res); else table([res]);
        return 0;
      }
      default: throw new ClientUsageError(sub ? `unknown subcommand '${sub}'` : 'missing subcommand');
    }
  });
}
