/**
 * `xdpjit` entry: dispatches a verb to its module, each verb in its own file so that they load lazily
 * (binaryen's top-level await is paid only by verbs that compile). Exit codes follow design.md §5.
 */
import { EXIT_USAGE } from './exit-codes.js';

/** Verb → module under src/cli exporting `run(args: string[]): Promise<number>`. */
const VERBS: Readonly<Record<string, { module: string; summary: string }>> = {
  verify: { module: './verify.js', summary: 'verify the XDP programs of an object' },
  run: { module: './run.js', summary: 'run a capture through a program once, frame by frame' },
  bench: { module: './bench.js', summary: 'measure ns/packet (JIT, interpreter, kernel)' },
  serve: { module: './serve.js', summary: 'start the daemon' },
  'start-default': { module: './start-default.js', summary: 'the bundled default (npm start)' },
  prog: { module: './client/prog.js', summary: 'programs on a running daemon' },
  iface: { module: './client/iface.js', summary: 'interfaces on a running daemon' },
  attach: { module: './client/attach.js', summary: 'attach a program to an interface' },
  detach: { module: './client/detach.js', summary: 'detach an interface\'s program' },
  map: { module: './client/map.js', summary: 'maps on a running daemon' },
  replay: { module: './client/replay.js', summary: 'replays on a running daemon' },
  stats: { module: './client/stats.js', summary: 'counters of a running daemon' },
};

function usage(): string {
  const lines = Object.entries(VERBS)
    .filter(([v]) => v !== 'start-default')
    .map(([v, { summary }]) => `  ${v.padEnd(8)} ${summary}`);
  return `usage: xdpjit <verb> [options]\n\n${lines.join('\n')}\n`;
}

/**
 * A reader that stops early (`xdpjit run --jsonl | head`) closes our stdout: like any Unix filter, stop
 * quietly with success instead of dying on an unhandled EPIPE.
 */
function exitQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnClosedStdout();
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(usage());
    return verb === undefined ? EXIT_USAGE : 0;
  }
  const entry = VERBS[verb];
  if (!entry) {
    process.stderr.write(`xdpjit: unknown verb '${verb}'\n${usage()}`);
    return EXIT_USAGE;
  }
  const mod = (await import(entry.module)) as { run(args: string[]): Promise<number> };
  return mod.run(rest);
}
