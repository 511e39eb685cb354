/** `xdpjit iface add|list|rm`: virtual interfaces on a running daemon (/v1/interfaces). */
import { COMMON_OPTIONS, ClientUsageError, DaemonClient, opt, parseArgs, printJson, runVerb } from './daemon-client.js';
import { printTable } from './table.js';

const USAGE = `usage: xdpjit iface add NAME --kind pcap                    frames come from replays (xdpjit replay)
       xdpjit iface add NAME --kind veth --peer PEER        a pair: what one end transmits the other receives
       xdpjit iface add NAME --kind vxlan --vni N --listen HOST:PORT --remote HOST:PORT
                                                            real frames over VXLAN/UDP (RFC 7348)
       xdpjit iface list                                    interfaces, attachments and counters
       xdpjit iface rm NAME                                 remove (a veth removes both ends)
${COMMON_OPTIONS}`;

interface Iface {
  name: string; ifindex: number; kind: string; peer?: string; remote?: string;
  attachment: null | { programName?: string; entry?: string; engine?: string; chain?: { programName: string; entry: string }[] };
  counters: Record<string, number>;
}

function attachmentText(a: Iface['attachment']): string {
  if (!a) return '-';
  if (a.chain) return a.chain.map((s) => `${s.programName}/${s.entry}`).join(' → ');
  return `${a.programName}/${a.entry} (${a.engine})`;
}

export function run(args: string[]): Promise<number> {
  return runVerb('iface', USAGE, async () => {
    const p = parseArgs(args);
    const c = new DaemonClient(p);
    const [sub, name] = p.positional;
    switch (sub) {
      case 'add': {
        const kind = opt(p, 'kind') ?? 'pcap';
        if (!name) throw new ClientUsageError('iface add needs a NAME');
        const body: Record<string, unknown> = { name, kind };
        if (kind === 'veth') body['peer'] = opt(p, 'peer');
        if (kind === 'vxlan') {
          body['vni'] = Number(opt(p, 'vni'));
          body['listen'] = opt(p, 'listen');
          body['remote'] = opt(p, 'remote');
        }
        const res: { name: string; ifindex: number; kind: string; peer?: { name: string; ifindex: number } } = await c.request('POST', '/v1/interfaces', body);
        if (c.json) printJson(res);
        else printTable(['name', 'ifindex', 'kind'], [[res.name, res.ifindex, res.kind], ...(res.peer ? [[res.peer.name, res.peer.ifindex, res.kind]] : [])]);
        return 0;
      }
      case 'list': {
        const list: Iface[] = await c.request('GET', '/v1/interfaces');
        if (c.json) printJson(list);
        else printTable(['ifindex', 'name', 'kind', 'xdp', 'rx', 'pass', 'tx', 'rx dropped'],
          list.map((i) => [i.ifindex, i.name, i.kind + (i.peer ? ` (peer ${i.peer})` : ''), attachmentText(i.attachment),
            i.counters['rxPackets'] ?? 0, i.counters['passPackets'] ?? 0, i.counters['txPackets'] ?? 0, i.counters['rxDropped'] ?? 0]));
        return 0;
      }
      case 'rm': {
        if (!name) throw new ClientUsageError('iface rm needs a NAME');
        await c.request('DELETE', `/v1/interfaces/${encodeURIComponent(name)}`);
        if (c.json) printJson({ removed: name });
        return 0;
      }
      default: throw new ClientUsageError(sub ? `unknown subcommand '${sub}'` : 'missing subcommand');
    }
  });
}
