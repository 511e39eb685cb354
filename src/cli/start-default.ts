/**
 * `npm start`: the daemon with the bundled default config (config/default.json: programs/proto_count.o on a
 * pcap interface replaying pcaps/mixed.pcap in a loop at capture pace), so a new user sees counters move at
 * once. Extra flags are passed on (`npm start -- --listen 127.0.0.1:9900`).
 */
import { fileURLToPath } from 'node:url';
import { parseServeArgs, ConfigError } from '../daemon/serve-config.js';
import { EXIT_USAGE } from './exit-codes.js';
import { serve } from './serve.js';

const DEFAULT_CONFIG = fileURLToPath(new URL('../../../config/default.json', import.meta.url));

export async function run(args: string[]): Promise<number> {
  let cfg;
  try {
    cfg = parseServeArgs(['--config', DEFAULT_CONFIG, ...args]);
  } catch (err) {
    if (err instanceof ConfigError) { process.stderr.write(`xdpjit start-default: ${err.message}\n`); return EXIT_USAGE; }
    throw err;
  }
  return serve(cfg, (d) => {
    process.stderr.write([
      '',
      `  xdpjit is replaying pcaps/mixed.pcap through programs/proto_count.o on interface 'demo0'.`,
      `  counters:     curl ${d.url}/metrics`,
      `  API docs:     ${d.url}/docs`,
      `  interfaces:   xdpjit iface list --server ${d.url}`,
      `  stats:        xdpjit stats --server ${d.url}`,
      '  stop:         Ctrl-C',
      '',
    ].join('\n'));
  });
}
