/**
 * Runs bpf_conformance vectors through a RawEngine and reports each outcome. The vectors are ISA tests,
 * not XDP programs: they run through the raw entry (design.md §3a) in every engine.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RawEngine } from '../vm/raw-entry.js';
import { parseVector, type ConformanceVector } from './vector.js';

export type VectorOutcome =
  | { readonly name: string; readonly passed: true; readonly got: bigint }
  | { readonly name: string; readonly passed: false; readonly expected: string; readonly got: string };

/** Vectors exercising behaviour the kernel does not have or would refuse; printed as notes by the runner. */
export const NON_KERNEL_EXTENSIONS: readonly string[] = ['callx.data'];
export const MASKED_SHIFT_VECTORS: readonly string[] = ['arsh', 'lsh', 'rsh'].flatMap((op) =>
  ['32', '64'].flatMap((w) => [`${op}${w}-imm-high.data`, `${op}${w}-imm-neg.data`]));

export function vectorFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.data')).sort();
}

/** Parse every vector; a file that fails to parse becomes a failed outcome rather than stopping the run. */
export function loadVectors(dir: string): { vectors: ConformanceVector[]; broken: VectorOutcome[] } {
  const vectors: ConformanceVector[] = [];
  const broken: VectorOutcome[] = [];
  for (const f of vectorFiles(dir)) {
    try {
      vectors.push(parseVector(f, readFileSync(join(dir, f), 'utf8')));
    } catch (e) {
      broken.push({ name: f, passed: false, expected: 'a parsable vector', got: (e as Error).message });
    }
  }
  return { vectors, broken };
}

const hex64 = (v: bigint): string => `0x${v.toString(16)}`;

export async function runVector(engine: RawEngine, v: ConformanceVector): Promise<VectorOutcome> {
  const expected = v.error === undefined ? hex64(v.expected) : `error "${v.error}"`;
  try {
    const got = BigInt.asUintN(64, await engine.runRaw(v.insns, v.mem.slice()));
    if (v.error === undefined && got === v.expected) return { name: v.name, passed: true, got };
    return { name: v.name, passed: false, expected, got: hex64(got) };
  } catch (e) {
    const message = (e as Error).message;
    if (v.error !== undefined && message.includes(v.error)) return { name: v.name, passed: true, got: 0n };
    return { name: v.name, passed: false, expected, got: `fault: ${message}` };
  }
}
