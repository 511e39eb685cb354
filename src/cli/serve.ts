/**
 * `xdpjit serve` (design.md §5): the daemon. Flags, XDPJIT_* environment variables and the config file
 * (serve-config.ts); prints `listening on http://HOST:PORT` on stdout once it serves; SIGTERM/SIGINT stop it
 * gracefully (last snapshot of the state dir, workers joined) with exit 0.
 */
import { readFileSync } from 'node:fs';
import { Daemon } from '../daemon/daemon.js';
import { ConfigError, parseServeArgs, type ServeConfig } from '../daemon/serve-config.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';

const USAGE = `usage: xdpjit serve [--config FILE] [--listen HOST:PORT] [--state-dir DIR] [--workers N]
                    [--programs-dir DIR] [--pcaps-dir DIR] [--arena-size BYTES] [--token TOKEN] [--strict]
                    [--fib FILE.json]
every flag also as XDPJIT_<FLAG> (XDPJIT_LISTEN, XDPJIT_TOKEN, XDPJIT_FIB, ...) and as a key of the JSON
config file (where "fib" may also be the FIB object itself). --fib: the virtual FIB (routes, neighbours,
device MTUs; shape in src/vm/helpers/virtual-fib.ts) bpf_fib_lookup and bpf_check_mtu answer from in
every attached program; without it, no routes and forwarding off.
`;

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Start the daemon and wait for a stop signal. `onServing` runs once it listens (start-default prints hints). */
export async function serve(cfg: ServeConfig, onServing?: (d: Daemon) => void): Promise<number> {
  let daemon: Daemon;
  try {
    daemon = await Daemon.start(cfg, {}, packageVersion());
  } catch (err) {
    process.stderr.write(`xdpjit serve: ${err instanceof Error ? err.message : String(err)}\n`);
    return (err as NodeJS.ErrnoException).code === 'EADDRINUSE' || (err as { statusCode?: number }).statusCode !== undefined ? EXIT_USAGE : EXIT_FAILURE;
  }
  // A daemon logs a stray rejection (a failed replay's leftovers) instead of dying with every interface.
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`xdpjit serve: unhandled rejection: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  });
  process.stdout.write(`listening on ${daemon.url}\n`);
  onServing?.(daemon);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      daemon.stop().then(resolve, (err: unknown) => {
        process.stderr.write(`xdpjit serve: stop: ${err instanceof Error ? err.message : String(err)}\n`);
        resolve();
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  return EXIT_OK;
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) { process.stdout.write(USAGE); return EXIT_OK; }
  let cfg: ServeConfig;
  try {
    cfg = parseServeArgs(args);
  } catch (err) {
    if (err instanceof ConfigError) { process.stderr.write(`xdpjit serve: ${err.message}\n${USAGE}`); return EXIT_USAGE; }
    throw err;
  }
  return serve(cfg);
}
