/** `xdpjit map list|dump|update|delete`: maps on a running daemon (/v1/maps). */
import { COMMON_OPTIONS, ClientUsageError, DaemonClient, opt, parseArgs, printJson, runVerb } from './daemon-client.js';
import { printTable } from './table.js';

const USAGE = `usage: xdpjit map list                                   every map of every loaded object
       xdpjit map dump MAP_ID                             entries as hex (and BTF-typed JSON with --json)
       xdpjit map update MAP_ID KEYHEX VALUEHEX [--flags any|noexist|exist]
       xdpjit map delete MAP_ID KEYHEX
Keys and values are the raw bytes in memory order as hex (u32 5 is 05000000), full key and value sizes.
A per-CPU map takes one value per CPU: VALUEHEX,VALUEHEX,...; a PROG_ARRAY value may be
@PROGRAM (a program of the object that owns the map).
options:
  --flags F      update only if the key is new (noexist) or already there (exist); default any
${COMMON_OPTIONS}`;

interface MapInfo { id: string; name: string; type: string; keySize: number; valueSize: number; maxEntries: number; perCpu?: boolean; program?: string }

export function run(args: string[]): Promise<number> {
  return runVerb('map', USAGE, async () => {
    const p = parseArgs(args);
    const c = new DaemonClient(p);
    const [sub, id, key, value] = p.positional;
    switch (sub) {
      case 'list': {
        const list: MapInfo[] = await c.request('GET', '/v1/maps');
        if (c.json) printJson(list);
        else printTable(['id', 'name', 'type', 'key', 'value', 'max entries', 'program'],
          list.map((m) => [m.id, m.name, m.type.replace(/^BPF_MAP_TYPE_/, ''), m.keySize, m.valueSize, m.maxEntries, m.program ?? '-']));
        return 0;
      }
      case 'dump': {
        if (!id) throw new ClientUsageError('map dump needs a MAP_ID');
        const res: { map: MapInfo; entries: { key: string; value?: string; values?: string[] }[] } = await c.request('GET', `/v1/maps/${encodeURIComponent(id)}/entries`);
        if (c.json) printJson(res);
        else printTable(['key', res.map.perCpu ? 'values (per CPU)' : 'value'], res.entries.map((e) => [e.key, e.value ?? (e.values ?? []).join(' ')]));
        return 0;
      }
      case 'update': {
        if (!id || !key || value === undefined) throw new ClientUsageError('map update needs MAP_ID KEYHEX VALUEHEX');
        const flags = opt(p, 'flags');
        const body = value.includes(',') ? { values: value.split(',') } : { value };
        await c.request('PUT', `/v1/maps/${encodeURIComponent(id)}/entries/${encodeURIComponent(key)}${flags ? `?flags=${encodeURIComponent(flags)}` : ''}`, body);
        if (c.json) printJson({ updated: { map: id, key } });
        return 0;
      }
      case 'delete': {
        if (!id || !key) throw new ClientUsageError('map delete needs MAP_ID KEYHEX');
        await c.request('DELETE', `/v1/maps/${encodeURIComponent(id)}/entries/${encodeURIComponent(key)}`);
        if (c.json) printJson({ deleted: { map: id, key } });
        return 0;
      }
      default: throw new ClientUsageError(sub ? `unknown subcommand '${sub}'` : 'missing subcommand');
    }
  });
}
