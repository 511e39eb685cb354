/** `xdpjit prog load|list|show|rm`: programs on a running daemon (POST/GET/DELETE /v1/programs). */
import { readFile } from 'node:fs/promises';
import { COMMON_OPTIONS, ClientUsageError, DaemonClient, opt, parseArgs, printJson, runVerb } from './daemon-client.js';
import { printTable } from './table.js';

const USAGE = `usage: xdpjit prog load FILE.o [--name N]       upload a local object (verified and loaded by the daemon)
       xdpjit prog load --path REL.o [--name N]   load an object from the daemon's programs directory
       xdpjit prog list                           loaded objects, their XDP programs and maps
       xdpjit prog show ID|NAME                   one object: programs, sections, instructions, maps
       xdpjit prog rm ID                          remove an object and free its maps (refused while attached)
options:
  --name N       the object's name in the daemon (default: the file name without .o)
  --path REL.o   a path inside the daemon's --programs-dir instead of a local file
${COMMON_OPTIONS}`;

interface Program { id: string; name: string; programs: { name: string; section: string; insns: number }[]; maps: { id: string; name: string; type: string }[]; attachedTo?: string[]; verifier?: unknown }

function show(p: Program): void {
  printTable(['id', 'name', 'program', 'section', 'insns', 'attached to'],
    p.programs.map((x) => [p.id, p.name, x.name, x.section, x.insns, (p.attachedTo ?? []).join(',') || '-']));
  if (p.maps.length > 0) printTable(['map id', 'map', 'type'], p.maps.map((m) => [m.id, m.name, m.type]));
}

export function run(args: string[]): Promise<number> {
  return runVerb('prog', USAGE, async () => {
    const p = parseArgs(args);
    const c = new DaemonClient(p);
    const [sub, arg] = p.positional;
    switch (sub) {
      case 'load': {
        const name = opt(p, 'name');
        const q = name ? `?name=${encodeURIComponent(name)}` : '';
        const path = opt(p, 'path');
        let res: Program;
        if (path) res = await c.request('POST', `/v1/programs${q}`, { path });
        else {
          if (!arg) throw new ClientUsageError('prog load needs FILE.o or --path');
          const bytes = await readFile(arg).catch((e: Error) => { throw new ClientUsageError(`cannot read ${arg}: ${e.message}`); });
          res = await c.request('POST', `/v1/programs${q || `?name=${encodeURIComponent(arg.replace(/^.*\//, '').replace(/\.o$/, ''))}`}`, bytes);
        }
        if (c.json) printJson(res); else show(res);
        return 0;
      }
      case 'list': {
        const list: Program[] = await c.request('GET', '/v1/programs');
        if (c.json) printJson(list);
        else printTable(['id', 'name', 'programs', 'maps', 'attached to'],
          list.map((x) => [x.id, x.name, x.programs.map((y) => y.name).join(','), x.maps.length, (x.attachedTo ?? []).join(',') || '-']));
        return 0;
      }
      case 'show': {
        if (!arg) throw new ClientUsageError('prog show needs an ID');
        const res: Program = await c.request('GET', `/v1/programs/${encodeURIComponent(arg)}`);
        if (c.json) printJson(res); else show(res);
        return 0;
      }
      case 'rm': {
        if (!arg) throw new ClientUsageError('prog rm needs an ID');
        await c.request('DELETE', `/v1/programs/${encodeURIComponent(arg)}`);
        if (c.json) printJson({ removed: arg });
        return 0;
      }
      default: throw new ClientUsageError(sub ? `unknown subcommand '${sub}'` : 'missing subcommand');
    }
  });
}
