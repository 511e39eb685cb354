/**
 * Runs a capture through an object in the kernel (BPF_PROG_TEST_RUN on CPU 0, ingress_ifindex 1) and
 * returns per-frame results and the map dump in `xdpjit run --jsonl --dump-maps` shapes (design.md §4b, §5).
 */
import { createHash } from 'node:crypto';
import type { KernelEvent, KernelFrameResult, KernelMapInfo, KernelProgramInfo, KernelRunResult, MapDumpLine, SkippedFrame } from './oracle-types.js';
import { KernelOracleError } from './oracle-errors.js';
import { runOracle, type OracleLine } from './oracle-process.js';
import { withClassicPcap } from './pcap-file.js';

export interface RunKernelOptions {
  /** The XDP program to run (default: the object's first XDP program, as `xdpjit run`). */
  readonly prog?: string;
  /** A `--maps` fill file (design.md §5). */
  readonly mapsFile?: string;
  /** Dump every map entry after the frames (default false). */
  readonly dumpMaps?: boolean;
  /** `xdp_md.ingress_ifindex` (default 1, `lo`): the device must exist in the oracle's network namespace. */
  readonly ifindex?: number;
}

/** `pcapPath`: a classic pcap or pcapng capture (Ethernet). */
export function runKernel(objPath: string, pcapPath: string, opts: RunKernelOptions = {}): Promise<KernelRunResult> {
  return withClassicPcap(pcapPath, (classic) => runClassic(objPath, classic, opts));
}

async function runClassic(objPath: string, pcapPath: string, opts: RunKernelOptions): Promise<KernelRunResult> {
  const args = [objPath, '--pcap', pcapPath, '--meta', '--watch-lru', '--events'];
  if (opts.prog !== undefined) args.push('--prog', opts.prog);
  if (opts.mapsFile !== undefined) args.push('--maps', opts.mapsFile);
  if (opts.dumpMaps) args.push('--dump-maps');
  if (opts.ifindex !== undefined) args.push('--ifindex', String(opts.ifindex));
  const { lines } = await runOracle(args, objPath);

  const frames: KernelFrameResult[] = [];
  const maps: MapDumpLine[] = [];
  const skipReasons: SkippedFrame[] = [];
  const mapInfo: KernelMapInfo[] = [];
  const lruFullAfter: Record<string, number> = {};
  const events: KernelEvent[] = [];
  let program: KernelProgramInfo | undefined;
  for (const line of lines) {
    if (line.meta === 'program') program = programInfo(line);
    else if (line.meta === 'map') mapInfo.push(mapInfoOf(line));
    else if (line.event === 'ringbuf') events.push(eventOf(line));
    else if (typeof line.map === 'string') maps.push(dumpLine(line));
    else if (typeof line.lruFull === 'string') lruFullAfter[line.lruFull] = Number(line.i);
    else if (typeof line.skipped === 'string') skipReasons.push(Object.freeze({ i: Number(line.i), reason: line.skipped }));
    else if (typeof line.action === 'string' && typeof line.hex === 'string') frames.push(frameResult(line));
    else throw new KernelOracleError(args, 0, `unexpected line ${JSON.stringify(line).slice(0, 200)}`);
  }
  if (!program) throw new KernelOracleError(args, 0, 'the oracle did not describe the program it ran');
  return Object.freeze({
    frames: Object.freeze(frames),
    maps: Object.freeze(maps),
    skipped: Object.freeze(skipReasons.map((s) => s.i)),
    skipReasons: Object.freeze(skipReasons),
    program,
    mapInfo: Object.freeze(mapInfo),
    lruFullAfter: Object.freeze(lruFullAfter),
    events: Object.freeze(events),
  });
}

function eventOf(line: OracleLine): KernelEvent {
  return Object.freeze({
    event: 'ringbuf',
    i: Number(line.i),
    cpu: Number(line.cpu),
    map: String(line.map),
    data: String(line.data),
  });
}

function frameResult(line: OracleLine): KernelFrameResult {
  const hex = String(line.hex);
  return Object.freeze({
    i: Number(line.i),
    action: String(line.action),
    len: Number(line.len),
    sha1: createHash('sha1').update(Buffer.from(hex, 'hex')).digest('hex'),
    hex,
    ...(typeof line.metaLen === 'number' ? { metaLen: line.metaLen } : {}),
  });
}

function dumpLine(line: OracleLine): MapDumpLine {
  if (Array.isArray(line.values)) {
    return Object.freeze({ map: String(line.map), key: String(line.key), values: Object.freeze(line.values.map(String)) });
  }
  return Object.freeze({ map: String(line.map), key: String(line.key), value: String(line.value) });
}

function programInfo(line: OracleLine): KernelProgramInfo {
  return Object.freeze({
    name: String(line.name),
    section: String(line.section),
    frags: line.frags === true,
    insns: Number(line.insns),
    helpers: Object.freeze((line.helpers as unknown[]).map(Number)),
  });
}

function mapInfoOf(line: OracleLine): KernelMapInfo {
  return Object.freeze({
    name: String(line.name),
    type: String(line.type),
    keySize: Number(line.keySize),
    valueSize: Number(line.valueSize),
    maxEntries: Number(line.maxEntries),
    flags: Number(line.flags),
  });
}
