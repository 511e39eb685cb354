/**
 * `xdpjit run OBJ --pcap FILE [--prog NAME] [--engine jit|interp] [--maps FILE] [--set 'MAP KEY VALUE']
 *  [--ifindex N] [--seed N] [--clock capture|wall] [--fib FILE.json] [--harden] [--jsonl] [--dump-maps] [--out FILE.pcap]`
 * (design.md §5): every frame once, in order, on CPU 0. Results to stdout, diagnostics to stderr.
 * Exit 0 success (ABORTED and unknown actions are results), 1 when the verifier rejects a program or a frame
 * errored, 2 for bad usage or input.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CaptureFormatError, UnsupportedLinkTypeError } from '../dataplane/capture/capture-errors.js';
import { FileSink, PcapWriter } from '../dataplane/capture/pcap-writer.js';
import { readCapture, requireEthernet } from '../dataplane/capture/read-capture.js';
import { GlobalDataError, ObjectFormatError, UnsupportedFeatureError, parseObject } from '../ebpf/loader.js';
import { XdpAction } from '../ebpf/opcodes.js';
import { ArenaFullError } from '../vm/arena.js';
import { MapCreateError } from '../vm/maps/map-header.js';
import { FibConfigError, VirtualFib } from '../vm/helpers/virtual-fib.js';
import { MapsFileError, parseMapsLine, parseMapsText, type MapsLine } from '../vm/maps-file.js';
import { EngineUnavailableError } from '../vm/runtime/engine.js';
import type { EngineName } from '../vm/runtime/engines.js';
import { LinkError } from '../vm/runtime/link.js';
import { ProgramSelectionError, runCapture, type RunFrame } from '../vm/runtime/run-capture.js';
import { VerifierError } from '../verifier/index.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';

const USAGE = `usage: xdpjit run OBJ --pcap FILE [--prog NAME] [--engine jit|interp] [--maps FILE] [--set 'MAP KEY VALUE']
                  [--ifindex N] [--seed N] [--clock capture|wall] [--fib FILE.json] [--harden] [--jsonl] [--dump-maps] [--out FILE.pcap]
`;

class UsageError extends Error {}

/** Errors that mean bad usage or bad input (exit 2), as opposed to a failed run (exit 1). */
const INPUT_ERRORS = [
  UsageError, ObjectFormatError, UnsupportedFeatureError, CaptureFormatError, UnsupportedLinkTypeError, MapsFileError,
  GlobalDataError, EngineUnavailableError, ProgramSelectionError, LinkError, MapCreateError, ArenaFullError,
  FibConfigError,
];

/** `--fib FILE`: the virtual FIB (JSON, shape in src/vm/helpers/virtual-fib.ts) for fib_lookup / check_mtu. */
function readFib(path: string): VirtualFib {
  const text = Buffer.from(readInput(path, 'FIB file')).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FibConfigError(path, `not JSON: ${(e as Error).message}`);
  }
  return VirtualFib.parse(json);
}

interface RunArgs {
  readonly object: string;
  readonly pcap: string;
  readonly prog?: string;
  readonly engine: EngineName;
  readonly maps?: string;
  readonly set: readonly string[];
  readonly ifindex: number;
  readonly seed: number;
  readonly clock: 'capture' | 'wall';
  readonly harden: boolean;
  readonly jsonl: boolean;
  readonly dumpMaps: boolean;
  readonly out?: string;
  readonly fib?: string;
}

function uint(name: string, text: string | undefined, dflt: number): number {
  if (text === undefined) return dflt;
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new UsageError(`--${name} takes an unsigned 32-bit integer, got '${text}'`);
  return Number(text);
}

function parse(args: string[]): RunArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true,
      options: {
        pcap: { type: 'string' }, prog: { type: 'string' }, engine: { type: 'string' }, maps: { type: 'string' },
        set: { type: 'string', multiple: true }, ifindex: { type: 'string' }, seed: { type: 'string' },
        clock: { type: 'string' }, fib: { type: 'string' }, harden: { type: 'boolean' }, jsonl: { type: 'boolean' },
        'dump-maps': { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  if (parsed.positionals.length !== 1) throw new UsageError('expected exactly one object file');
  if (v.pcap === undefined) throw new UsageError('--pcap FILE is required');
  const engine = v.engine ?? 'jit';
  if (engine !== 'interp' && engine !== 'jit') throw new UsageError(`--engine is jit or interp, got '${engine}'`);
  const clock = v.clock ?? 'capture';
  if (clock !== 'capture' && clock !== 'wall') throw new UsageError(`--clock is capture or wall, got '${clock}'`);
  return {
    object: parsed.positionals[0]!, pcap: v.pcap, engine, set: v.set ?? [], clock,
    ifindex: uint('ifindex', v.ifindex, 1), seed: uint('seed', v.seed, 0),
    harden: v.harden ?? false, jsonl: v.jsonl ?? false, dumpMaps: v['dump-maps'] ?? false,
    ...(v.prog !== undefined ? { prog: v.prog } : {}),
    ...(v.maps !== undefined ? { maps: v.maps } : {}),
    ...(v.out !== undefined ? { out: v.out } : {}),
    ...(v.fib !== undefined ? { fib: v.fib } : {}),
  };
}

function readInput(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function mapLines(a: RunArgs): MapsLine[] {
  const lines: MapsLine[] = a.maps ? parseMapsText(Buffer.from(readInput(a.maps, 'maps file')).toString('utf8'), a.maps) : [];
  a.set.forEach((text, i) => {
    const l = parseMapsLine(text, '--set', i + 1);
    if (!l) throw new MapsFileError('--set', i + 1, 'empty --set');
    lines.push(l);
  });
  return lines;
}

const LEAVES: ReadonlySet<number> = new Set([XdpAction.PASS, XdpAction.TX, XdpAction.REDIRECT]);

export async function run(args: string[]): Promise<number> {
  const out = (s: string): void => { process.stdout.write(s); };
  let writer: { pcap: PcapWriter; sink: FileSink } | undefined;
  try {
    const a = parse(args);
    if (a === 'help') { out(USAGE); return EXIT_OK; }
    const spec = parseObject(readInput(a.object, 'object'));
    const capture = requireEthernet(readCapture(readInput(a.pcap, 'capture')));
    const lines = mapLines(a);
    const frames: RunFrame[] = capture.frames.map((f) => ({ data: f.data, tsNs: f.tsNs }));
    if (a.out) {
      const sink = new FileSink(a.out);
      writer = { pcap: new PcapWriter(sink, { precision: 'ns' }), sink };
    }
    const counts = new Map<string, number>();
    let errored = 0;
    const result = await runCapture(spec, frames, {
      engine: a.engine, mapLines: lines, ifindex: a.ifindex, seed: a.seed, clock: a.clock, harden: a.harden,
      ...(a.fib !== undefined ? { fib: readFib(a.fib) } : {}),
      ...(a.prog !== undefined ? { program: a.prog } : {}),
      onEvent: (e) => {
        if (a.jsonl) out(`${JSON.stringify(e)}\n`);
        else process.stderr.write(`${e.event} frame ${e.i} cpu${e.cpu}: ${e.event === 'trace' ? e.text : `${e.map} ${e.data}`}\n`);
      },
      onFrame: (o, frame) => {
        const r = o.record;
        if (a.jsonl) out(`${JSON.stringify(r)}\n`);
        counts.set(r.action, (counts.get(r.action) ?? 0) + 1);
        if (r.error !== undefined) {
          errored++;
          if (!a.jsonl) process.stderr.write(`frame ${r.i}: ${r.error}\n`);
        } else if (writer && LEAVES.has(o.retval)) {
          writer.pcap.write({ data: o.output, tsNs: frame.tsNs });
        }
      },
    });
    if (!a.jsonl) out(summaryTable(result.program, frames.length, counts, errored));
    if (a.dumpMaps) for (const m of result.maps) out(`${JSON.stringify(m)}\n`);
    return errored > 0 ? EXIT_FAILURE : EXIT_OK;
  } catch (e) {
    if (e instanceof VerifierError) {
      process.stderr.write(`xdpjit run: the verifier rejected the program:\n${e.message}\n`);
      return e.detail.unsupported ? EXIT_USAGE : EXIT_FAILURE;
    }
    if (INPUT_ERRORS.some((cls) => e instanceof cls)) {
      process.stderr.write(`xdpjit run: ${(e as Error).message}\n${e instanceof UsageError ? USAGE : ''}`);
      return EXIT_USAGE;
    }
    throw e;
  } finally {
    writer?.sink.close();
  }
}

function summaryTable(program: string, total: number, counts: ReadonlyMap<string, number>, errored: number): string {
  const rows = [...counts.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  const width = Math.max(6, ...rows.map(([k]) => k.length));
  const lines = [`program ${program}: ${total} frames${errored ? `, ${errored} errored` : ''}`, `${'action'.padEnd(width)}  frames`];
  for (const [k, n] of rows) lines.push(`${k.padEnd(width)}  ${String(n).padStart(6)}`);
  return `${lines.join('\n')}\n`;
}
