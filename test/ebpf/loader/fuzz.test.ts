/**
 * Mutation fuzzer: real objects (the fixtures and programs/*.o) with random bit flips, truncations and
 * edits of ELF header / section header fields and of the bytes of the sections the loader reads. parseObject
 * must return a spec or throw ObjectFormatError / UnsupportedFeatureError — never another exception, never
 * its own "internal parser error" fallback, never a hang — and a returned spec must be self-consistent.
 * XDPJIT_FUZZ_ITERS sets the number of mutants (default keeps the suite to a few seconds); XDPJIT_FUZZ_SEED
 * replays a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseObject, ObjectFormatError, UnsupportedFeatureError } from '../../../src/ebpf/loader.js';
import { parseElf } from '../../../src/ebpf/elf/elf-file.js';
import type { ObjectSpec } from '../../../src/ebpf/object-spec.js';
import { allObjects } from './fixture-objects.js';

const ITERS = Number(process.env.XDPJIT_FUZZ_ITERS ?? 800);
const SEED = Number(process.env.XDPJIT_FUZZ_SEED ?? Date.now() % 0xffffffff);
/** Per-mutant bound: generous for a loaded 2-core CI box, far below anything that looks like a hang. */
const MAX_MS = 2000;

/** mulberry32: small, seedable, good enough to pick mutations. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Region { start: number; size: number }

/** Byte ranges worth hitting: the headers and the sections the loader parses (not DWARF). */
function interestingRegions(bytes: Uint8Array): { headers: Region[]; sections: Region[] } {
  const elf = parseElf(bytes);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(dv.getBigUint64(40, true));
  const headers = elf.sections.map((s) => ({ start: shoff + s.index * 64, size: 64 }));
  const sections = elf.sections
    .filter((s) => s.size > 0 && s.type !== 8 && !s.name.includes('debug'))
    .map((s) => ({ start: s.fileOffset, size: s.size }));
  return { headers, sections };
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0xfe, 8, 0x10, 0x40];

function mutate(src: Uint8Array, r: () => number, regions: { headers: Region[]; sections: Region[] }): { bytes: Uint8Array; what: string } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (n: number): number => Math.floor(r() * n);
  const b = src.slice();
  const dv = new DataView(b.buffer);
  switch (int(6)) {
    case 0: {
      const n = 1 + int(8);
      for (let i = 0; i < n; i++) { const p = int(b.length); b[p]! ^= 1 << int(8); }
      return { bytes: b, what: `${n} random bit flips` };
    }
    case 1: {
      const len = int(b.length);
      return { bytes: b.slice(0, len), what: `truncated to ${len}` };
    }
    case 2: {
      const h = pick(regions.headers);
      const field = pick([0, 4, 24, 32, 40, 44, 56]);
      const wide = field === 24 || field === 32 || field === 56;
      const old = wide ? Number(dv.getBigUint64(h.start + field, true)) : dv.getUint32(h.start + field, true);
      const v = pick([0, 1, old + 1, old - 1, old + 8, old * 2, 0xffffffff, int(b.length), int(64)]) >>> 0;
      if (wide) dv.setBigUint64(h.start + field, BigInt(v), true); else dv.setUint32(h.start + field, v, true);
      return { bytes: b, what: `section header at ${h.start} field +${field} ${old} → ${v}` };
    }
    case 3: {
      const field = pick([40, 58, 60, 62, 16, 18]);
      const v = pick([0, 1, 0xffff, int(0x10000), dv.getUint16(field, true) + 1]);
      if (field === 40) dv.setBigUint64(40, BigInt(int(b.length)), true); else dv.setUint16(field, v & 0xffff, true);
      return { bytes: b, what: `ELF header field ${field}` };
    }
    case 4: {
      const s = pick(regions.sections);
      const n = 1 + int(4);
      for (let i = 0; i < n; i++) b[s.start + int(s.size)] = pick(INTERESTING);
      return { bytes: b, what: `${n} interesting bytes in section at ${s.start}` };
    }
    default: {
      // A 32-bit field of a parsed section (BTF records, relocations, symbols are all u32-aligned).
      const s = pick(regions.sections);
      if (s.size < 4) return { bytes: b, what: 'no-op' };
      const at = s.start + (int(s.size >> 2) << 2);
      const old = dv.getUint32(at, true);
      const v = pick([0, 1, old + 1, old - 1, old ^ 0x80000000, 0xffffffff, int(0x10000), old + 8]) >>> 0;
      dv.setUint32(at, v, true);
      return { bytes: b, what: `u32 at ${at} ${old} → ${v}` };
    }
  }
}

/** What a returned spec must satisfy whatever the input was. */
function checkSpec(spec: ObjectSpec): void {
  for (const p of spec.programs) {
    p.insns.forEach((insn, i) => {
      if (insn.code === 0x18 && (insn.src === 1 || insn.src === 2)) assert.ok(insn.imm >= 0 && insn.imm < spec.maps.length, `${p.name} slot ${i}: map index`);
      if ((insn.code === 0x85 && insn.src === 1) || (insn.code === 0x18 && insn.src === 4)) {
        const target = i + insn.imm + 1;
        assert.ok(p.funcs.some((f) => f.insn === target), `${p.name} slot ${i}: call target ${target} is a function start`);
      }
    });
    for (const l of p.lines) assert.ok(l.insn >= 0 && l.insn < p.insns.length);
  }
  for (const m of spec.maps) if (m.initialData) assert.equal(m.initialData.length, m.valueSize);
}

test(`parseObject survives ${ITERS} mutated objects (seed ${SEED})`, () => {
  const objects = allObjects().flatMap(({ name, bytes }) => {
    try { return [{ name, bytes, regions: interestingRegions(bytes) }]; } catch { return []; }
  });
  assert.ok(objects.length > 0);
  const r = rng(SEED);
  const outcomes = { parsed: 0, format: 0, unsupported: 0 };
  let slowest = 0;
  for (let i = 0; i < ITERS; i++) {
    const obj = objects[i % objects.length]!;
    const { bytes, what } = mutate(obj.bytes, r, obj.regions);
    const label = `mutant ${i} of ${obj.name} (${what}; XDPJIT_FUZZ_SEED=${SEED})`;
    const t0 = performance.now();
    try {
      checkSpec(parseObject(bytes));
      outcomes.parsed++;
    } catch (e) {
      if (e instanceof ObjectFormatError) {
        assert.ok(!e.message.startsWith('internal parser error'), `${label}: ${e.message}`);
        outcomes.format++;
      } else if (e instanceof UnsupportedFeatureError) {
        outcomes.unsupported++;
      } else {
        assert.fail(`${label}: ${e instanceof Error ? e.stack : String(e)}`);
      }
    }
    const ms = performance.now() - t0;
    slowest = Math.max(slowest, ms);
    assert.ok(ms < MAX_MS, `${label} took ${ms.toFixed(0)} ms`);
  }
  // Mutations must actually reach the parser's error paths, or this test proves nothing.
  assert.ok(outcomes.format > ITERS / 20, JSON.stringify(outcomes));
  console.log(`fuzz: ${JSON.stringify(outcomes)}, slowest ${slowest.toFixed(1)} ms`);
});
