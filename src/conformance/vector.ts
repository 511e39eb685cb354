/**
 * Parser for bpf_conformance `*.data` vectors (see /work/shared/conformance/README.md): sections start with
 * `-- NAME`; `#` comments; `asm` (program text), `result` (expected r0, hex or decimal, compared as u64),
 * `mem` (hex bytes), `raw` (64-bit little-endian instruction words, used in place of `asm`), `error`;
 * `c` and `no register offset` are documentation and skipped. Any other section makes the vector
 * unsupported, as in bpf_conformance's own parser.
 */
import { assemble } from '../ebpf/asm.js';
import { decodeInsns, type Insn } from '../ebpf/insn.js';

export interface ConformanceVector {
  readonly name: string;
  readonly insns: readonly Insn[];
  readonly expected: bigint;
  readonly mem: Uint8Array;
  /** Expected error text (`-- error`), if the vector expects the program to fail. */
  readonly error?: string;
}

export class VectorParseError extends Error {
  constructor(message: string, readonly vector: string, readonly section: string) {
    super(`${vector}: [${section}] ${message}`);
    this.name = 'VectorParseError';
  }
}

const KNOWN_SECTIONS = new Set(['asm', 'result', 'mem', 'raw', 'error', 'c', 'no register offset']);

export function parseVector(name: string, text: string): ConformanceVector {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split(/\r?\n/)) {
    const header = /^--\s*(.*?)\s*$/.exec(line);
    if (header) {
      const section = header[1]!;
      if (!KNOWN_SECTIONS.has(section)) throw new VectorParseError(`unsupported section '${section}'`, name, section);
      current = [];
      sections.set(section, current);
      continue;
    }
    current?.push(line);
  }
  const body = (s: string): string[] | undefined =>
    sections.get(s)?.map((l) => l.replace(/#.*$/, '').trim()).filter((l) => l !== '');

  const raw = body('raw');
  let insns: Insn[];
  if (raw !== undefined) {
    const bytes = new Uint8Array(raw.length * 8);
    const dv = new DataView(bytes.buffer);
    raw.forEach((w, i) => {
      if (!/^(0x)?[0-9a-f]{1,16}$/i.test(w)) throw new VectorParseError(`bad instruction word '${w}'`, name, 'raw');
      dv.setBigUint64(i * 8, BigInt(w.startsWith('0x') || w.startsWith('0X') ? w : `0x${w}`), true);
    });
    insns = decodeInsns(bytes);
  } else {
    const asm = sections.get('asm');
    if (asm === undefined) throw new VectorParseError('no asm or raw section', name, 'asm');
    insns = assemble(asm.join('\n'));
  }

  const result = body('result');
  if (result === undefined || result.length !== 1) throw new VectorParseError('expected exactly one result value', name, 'result');
  const r = result[0]!;
  if (!/^(0x[0-9a-f]+|-?\d+)$/i.test(r)) throw new VectorParseError(`bad result '${r}'`, name, 'result');
  const expected = BigInt.asUintN(64, BigInt(r));

  const memHex = (body('mem') ?? []).join(' ').split(/\s+/).filter((b) => b !== '');
  const mem = Uint8Array.from(memHex, (b) => {
    if (!/^[0-9a-f]{2}$/i.test(b)) throw new VectorParseError(`bad byte '${b}'`, name, 'mem');
    return parseInt(b, 16);
  });
  const error = body('error')?.join('\n');
  return error === undefined ? { name, insns, expected, mem } : { name, insns, expected, mem, error };
}
