/** `xdpjit detach IFACE`: removes the interface's program or chain (DELETE /v1/interfaces/{name}/xdp). */
import { COMMON_OPTIONS, ClientUsageError, DaemonClient, parseArgs, printJson, runVerb } from './daemon-client.js';

const USAGE = `usage: xdpjit detach IFACE
Removes the interface's program or chain (DELETE /v1/interfaces/IFACE/xdp), between two batches.
${COMMON_OPTIONS}`;

export function run(args: string[]): Promise<number> {
  return runVerb('detach', USAGE, async () => {
    const p = parseArgs(args);
    const c = new DaemonClient(p);
    const [iface] = p.positional;
    if (!iface) throw new ClientUsageError('detach needs an IFACE');
    await c.request('DELETE', `/v1/interfaces/${encodeURIComponent(iface)}/xdp`);
    if (c.json) printJson({ detached: iface });
    return 0;
  });
}
