/**
 * `xdpjit verify OBJ [--prog NAME] [--strict] [--json] [-v]` (design.md §5): verify every XDP program of
 * an object (or one). Exit 0 when every selected program is accepted, 1 when one is rejected, 2 for bad
 * usage or input (unreadable or malformed object, no XDP program, an unsupported helper/kfunc/map type).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseObject, ObjectFormatError, UnsupportedFeatureError } from '../ebpf/loader.js';
import type { ObjectSpec, ProgramSpec } from '../ebpf/object-spec.js';
import { verify, VerifierError, type VerifierErrorDetail } from '../verifier/index.js';
import { Arena, ArenaFullError } from '../vm/arena.js';
import { MapCreateError } from '../vm/maps/map-header.js';
import { createMap } from '../vm/maps/registry.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';

const USAGE = 'usage: xdpjit verify OBJ [--prog NAME] [--strict] [--json] [-v]\n';

interface ProgramResult {
  readonly name: string;
  readonly section: string;
  readonly accepted: boolean;
  readonly insns: number;
  readonly processed: number;
  readonly states: number;
  readonly ms: number;
  readonly error?: VerifierErrorDetail;
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true,
      options: { prog: { type: 'string' }, strict: { type: 'boolean' }, json: { type: 'boolean' }, v: { type: 'boolean', short: 'v' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    process.stderr.write(`xdpjit verify: ${(e as Error).message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help) { process.stdout.write(USAGE); return EXIT_OK; }
  if (positionals.length !== 1) { process.stderr.write(USAGE); return EXIT_USAGE; }
  const path = positionals[0]!;
  let obj;
  try {
    obj = parseObject(await readFile(path));
  } catch (e) {
    if (e instanceof ObjectFormatError || e instanceof UnsupportedFeatureError || (e as NodeJS.ErrnoException).code) {
      process.stderr.write(`xdpjit verify: ${path}: ${(e as Error).message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  const mapRefusal = mapCreationRefusal(obj);
  if (mapRefusal !== undefined) {
    process.stderr.write(`xdpjit verify: ${path}: ${mapRefusal}\n`);
    return EXIT_USAGE;
  }
  let progs: readonly ProgramSpec[] = obj.programs;
  if (values.prog !== undefined) progs = progs.filter((p) => p.name === values.prog);
  if (progs.length === 0) {
    process.stderr.write(values.prog !== undefined
      ? `xdpjit verify: ${path}: no XDP program named '${values.prog}' (have: ${obj.programs.map((p) => p.name).join(', ') || 'none'})\n`
      : `xdpjit verify: ${path}: no XDP program in the object\n`);
    return EXIT_USAGE;
  }
  const results: ProgramResult[] = [];
  let unsupported = false;
  for (const spec of progs) {
    const t0 = performance.now();
    try {
      const v = verify(spec, obj, { strict: values.strict ?? false, log: values.v ?? false });
      results.push({ name: spec.name, section: spec.section, accepted: true, insns: spec.insns.length, processed: v.processed, states: v.states, ms: round(v.ms) });
      if (values.v && v.log && !values.json) process.stderr.write(`${v.log}\n`);
    } catch (e) {
      if (!(e instanceof VerifierError)) throw e;
      if (e.detail.unsupported) unsupported = true;
      results.push({
        name: spec.name, section: spec.section, accepted: false, insns: spec.insns.length, processed: -1, states: -1,
        ms: round(performance.now() - t0), error: values.v ? e.detail : withoutLog(e.detail),
      });
      if (values.v && e.detail.log && !values.json) process.stderr.write(`${e.detail.log}\n`);
    }
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ programs: results })}\n`);
  } else {
    for (const r of results) {
      if (r.accepted) process.stdout.write(`${r.name} (${r.section}): accepted, ${r.insns} insns, processed ${r.processed}, states ${r.states}, ${r.ms} ms\n`);
      else process.stdout.write(`${r.name} (${r.section}): REJECTED\n${indent(new VerifierError(r.name, r.error!).message)}\n`);
    }
  }
  if (unsupported) return EXIT_USAGE;
  return results.every((r) => r.accepted) ? EXIT_OK : EXIT_FAILURE;
}

const round = (ms: number): number => Math.round(ms * 100) / 100;
const indent = (s: string): string => s.split('\n').map((l) => `  ${l}`).join('\n');

function withoutLog(d: VerifierErrorDetail): VerifierErrorDetail {
  const { log: _log, ...rest } = d;
  return rest;
}

/**
 * The kernel creates an object's maps (BPF_MAP_CREATE) before any of its programs is verified, so a map it
 * refuses (max_entries 0, a bad flag, an unsupported type) fails the load before verification: create them
 * in a scratch arena so that `verify` refuses what `run` and the kernel refuse, with the same message.
 */
function mapCreationRefusal(obj: ObjectSpec): string | undefined {
  const arena = Arena.create();
  try {
    for (const m of obj.maps) createMap(arena, m);
    return undefined;
  } catch (e) {
    if (e instanceof MapCreateError || e instanceof ArenaFullError || e instanceof UnsupportedFeatureError) return e.message;
    throw e;
  }
}
