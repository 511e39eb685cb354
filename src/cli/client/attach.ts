/**
 * `xdpjit attach IFACE PROG [--entry E] [--engine jit|interp] [--harden]` or
 * `xdpjit attach IFACE --chain PROG[/ENTRY][@PRIORITY],...`: replaces the interface's whole attachment
 * (PUT /v1/interfaces/{name}/xdp).
 */
import { COMMON_OPTIONS, ClientUsageError, DaemonClient, opt, parseArgs, printJson, runVerb } from './daemon-client.js';
import { printTable } from './table.js';

const USAGE = `usage: xdpjit attach IFACE PROG_ID [--entry NAME] [--engine jit|interp] [--harden]
       xdpjit attach IFACE --chain PROG_ID[/ENTRY][@PRIORITY],... [--engine jit|interp] [--harden]
Replaces the interface's whole attachment atomically, between two batches (PUT /v1/interfaces/IFACE/xdp).
options:
  --entry NAME        the XDP program of the object to run (default: its only or first one)
  --chain LIST        a libxdp-style chain: programs run in ascending PRIORITY (default: the object's
                      .xdp_run_config, else 50), each passing on the actions its chain_call_actions allow
  --engine jit|interp the JIT (default) or the interpreter
  --harden            address masking and constant blinding, for programs from untrusted authors
${COMMON_OPTIONS}`;

export function run(args: string[]): Promise<number> {
  return runVerb('attach', USAGE, async () => {
    const p = parseArgs(args, ['harden']);
    const c = new DaemonClient(p);
    const [iface, prog] = p.positional;
    if (!iface) throw new ClientUsageError('attach needs an IFACE');
    const body: Record<string, unknown> = {};
    const chain = opt(p, 'chain');
    if (chain) {
      body['chain'] = chain.split(',').map((s) => {
        const m = /^([^/@]+)(?:\/([^@]+))?(?:@(-?\d+))?$/.exec(s.trim());
        if (!m) throw new ClientUsageError(`chain element '${s}' is not PROG[/ENTRY][@PRIORITY]`);
        return { program: m[1], ...(m[2] ? { entry: m[2] } : {}), ...(m[3] ? { priority: Number(m[3]) } : {}) };
      });
    } else {
      if (!prog) throw new ClientUsageError('attach needs a PROG_ID (or --chain)');
      body['program'] = prog;
      const entry = opt(p, 'entry');
      if (entry) body['entry'] = entry;
    }
    const engine = opt(p, 'engine');
    if (engine) body['engine'] = engine;
    if (p.options.get('harden') === true) body['harden'] = true;
    const res: { name: string; ifindex: number; attachment: { programName?: string; entry?: string; chain?: { programName: string; entry: string; priority: number }[] } } =
      await c.request('PUT', `/v1/interfaces/${encodeURIComponent(iface)}/xdp`, body);
    if (c.json) printJson(res);
    else {
      const a = res.attachment;
      const stages = a.chain ?? [{ programName: a.programName ?? '', entry: a.entry ?? '', priority: 0 }];
      printTable(['interface', 'stage', 'program', 'entry'], stages.map((s, i) => [res.name, i, s.programName, s.entry]));
    }
    return 0;
  });
}
