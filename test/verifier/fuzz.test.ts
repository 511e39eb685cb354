/**
 * Verifier fuzzer: random and mutated XDP programs. Every program the verifier accepts is run through the
 * reference interpreter in checked mode (each load/store checked against its object, design.md §3a) on
 * frames of many lengths; an accepted program that faults is a verifier bug. Bounded in time.
 *
 *   XDPJIT_FUZZ_MS   time budget (default 6000)      XDPJIT_FUZZ_SEED   first seed (default 1)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Insn } from '../../src/ebpf/insn.js';
import { disassemble } from '../../src/ebpf/disasm.js';
import { MapType, type MapSpec, type ObjectSpec, type ProgramSpec } from '../../src/ebpf/object-spec.js';
import { verify, VerifierError } from '../../src/verifier/index.js';
import { runCapture } from '../../src/vm/runtime/run-capture.js';

const BUDGET_MS = Number(process.env.XDPJIT_FUZZ_MS ?? 6000);
const FIRST_SEED = Number(process.env.XDPJIT_FUZZ_SEED ?? 1);

const map = (name: string, type: number, keySize: number, valueSize: number, maxEntries: number): MapSpec => ({
  name, type, keySize, valueSize, maxEntries, flags: 0, pinning: 'none', origin: { kind: 'btf' }, initSlots: [], globals: [],
});
const MAPS: readonly MapSpec[] = [map('arr8', MapType.ARRAY, 4, 8, 4), map('hash8', MapType.HASH, 4, 8, 16), map('arr64', MapType.ARRAY, 4, 64, 4)];

class Rng {
  constructor(private s: number) {}
  next(): number { this.s = (Math.imul(this.s, 1103515245) + 12345) >>> 0; return this.s >>> 8; }
  int(n: number): number { return this.next() % n; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  chance(p: number): boolean { return this.int(1000) < p * 1000; }
}

const I = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });
const SIZES = [0x10, 0x08, 0x00, 0x18]; // B H W DW
const JOPS = [0x10, 0x20, 0x30, 0x50, 0xa0, 0xb0, 0x60, 0x70, 0xc0, 0xd0];
const AOPS = [0x00, 0x10, 0x20, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xc0, 0x30, 0x90];

/** A program of random snippets in the shapes real parsers have; jumps go forward to the common exit. */
function generate(rng: Rng): Insn[] {
  const out: (Insn | 'END')[] = [];
  const endJumps: number[] = [];
  const jmpEnd = (code: number, dst: number, src: number, imm: number): void => { endJumps.push(out.length); out.push(I(code, dst, src, 0, imm)); };
  out.push(I(0xbf, 6, 1, 0, 0), I(0x61, 7, 6, 0, 0), I(0x61, 8, 6, 4, 0), I(0xb7, 0, 0, 0, 2), I(0xb7, 9, 0, 0, 0));
  for (const r of [3, 4, 5]) out.push(I(0xb7, r, 0, 0, rng.int(64)));
  // Most programs prove some packet range first, as parsers do.
  let checked = rng.chance(0.8) ? 1 + rng.int(48) : 0;
  if (checked) { out.push(I(0xbf, 2, 7, 0, 0), I(0x07, 2, 0, 0, checked)); jmpEnd(0x2d, 2, 8, 0); }
  const n = 2 + rng.int(9);
  for (let k = 0; k < n; k++) {
    const r = rng.pick([1, 2, 3, 4, 5, 9]);
    switch (rng.int(10)) {
      case 0: { // bounds check in a random form
        const K = rng.int(48);
        checked = Math.max(checked, K);
        out.push(I(0xbf, 2, 7, 0, 0), I(0x07, 2, 0, 0, K));
        const form = rng.int(4);
        if (form === 0) jmpEnd(0x2d, 2, 8, 0);          // if r2 > r8 goto end
        else if (form === 1) jmpEnd(0xad, 8, 2, 0);     // if r8 < r2 goto end
        else if (form === 2) jmpEnd(0x3d, 2, 8, 0);     // if r2 >= r8 goto end
        else jmpEnd(rng.pick([0x2e, 0x1d, 0x5d, 0xbd]), 2, 8, 0); // jmp32 / eq / ne / le: no range (or the wrong side)
        break;
      }
      case 1: case 2: { // packet load/store, usually inside the proven range (or one byte past it)
        const sz = rng.pick(SIZES);
        const bytes = [1, 2, 4, 8][SIZES.indexOf(sz)]!;
        const off = checked >= bytes && rng.chance(0.8) ? rng.int(checked - bytes + 1) + (rng.chance(0.1) ? 1 : 0) : rng.int(48) - (rng.chance(0.05) ? 4 : 0);
        out.push(rng.chance(0.6) ? I(0x61 | sz, r, 7, off, 0) : I(0x63 | sz, 7, r === 1 ? 9 : r, off, 0));
        break;
      }
      case 3: { // scalar ALU
        const op = rng.pick(AOPS);
        const isX = rng.chance(0.4);
        const cls = rng.chance(0.3) ? 0x04 : 0x07;
        let imm = rng.pick([0, 1, 3, 7, 8, 15, 255, -1, 64, rng.int(1 << 16)]);
        if (op === 0x60 || op === 0x70 || op === 0xc0) imm = rng.int(cls === 0x07 ? 64 : 32);
        if ((op === 0x30 || op === 0x90) && imm === 0) imm = 3;
        out.push(I(cls | op | (isX ? 0x08 : 0), r, isX ? rng.pick([1, 2, 3, 4, 5, 9]) : 0, 0, isX ? 0 : imm));
        break;
      }
      case 4: { // variable offset into the packet, re-checked or not
        const mask = rng.pick([7, 15, 31, 63, 255]);
        out.push(I(0x71, 3, 7, rng.int(4), 0), I(0x57, 3, 0, 0, mask), I(0xbf, 4, 7, 0, 0), I(0x0f, 4, 3, 0, 0));
        if (rng.chance(0.8)) { out.push(I(0xbf, 2, 4, 0, 0), I(0x07, 2, 0, 0, rng.int(10))); jmpEnd(0x2d, 2, 8, 0); }
        out.push(I(0x61 | rng.pick(SIZES), 5, 4, rng.int(10), 0));
        break;
      }
      case 5: { // stack store then load
        const off = -8 * (1 + rng.int(8)) + (rng.chance(0.1) ? rng.int(8) : 0);
        out.push(I(0x63 | rng.pick(SIZES), 10, rng.pick([7, 9, r]), off, 0));
        out.push(I(0x61 | rng.pick(SIZES), rng.pick([3, 4, 5]), 10, rng.chance(0.2) ? off - 8 : off, 0));
        break;
      }
      case 6: { // map lookup and value access, maybe with an index
        const m = rng.int(MAPS.length);
        out.push(I(0xb7, 1, 0, 0, rng.int(6)), I(0x63, 10, 1, -4, 0), I(0xbf, 2, 10, 0, 0), I(0x07, 2, 0, 0, -4));
        out.push(I(0x18, 1, 1, 0, m), I(0, 0, 0, 0, 0), I(0x85, 0, 0, 0, 1));
        if (rng.chance(0.9)) jmpEnd(0x15, 0, 0, 0);
        if (rng.chance(0.4)) { out.push(I(0x71, 3, 7, 0, 0)); if (rng.chance(0.7)) out.push(I(0x57, 3, 0, 0, rng.pick([7, 15, 63]))); out.push(I(0x0f, 0, 3, 0, 0)); }
        const sz = rng.pick(SIZES);
        out.push(rng.chance(0.5) ? I(0x61 | sz, 3, 0, rng.int(12), 0) : I(0x63 | sz, 0, 9, rng.int(12), 0));
        out.push(I(0xb7, 0, 0, 0, 2));
        break;
      }
      case 7: // a branch on a scalar, skipping ahead
        jmpEnd(0x05 | rng.pick(JOPS), r, 0, rng.pick([0, 1, 10, 100, -1]));
        break;
      case 8: { // a bounded loop reading the packet at a growing offset, re-checked each time (back-edges, pruning)
        const bound = 1 + rng.int(12);
        out.push(I(0xb7, 9, 0, 0, 0));
        const head = out.length;
        out.push(I(0xbf, 4, 7, 0, 0), I(0x0f, 4, 9, 0, 0), I(0xbf, 2, 4, 0, 0), I(0x07, 2, 0, 0, 1 + rng.int(3)));
        jmpEnd(rng.chance(0.9) ? 0x2d : 0x3d, 2, 8, 0);
        out.push(I(0x71, 5, 4, rng.chance(0.9) ? 0 : 1, 0), I(0x07, 9, 0, 0, 1));
        const back = out.length;
        out.push(I(rng.chance(0.9) ? 0xa5 : 0xb5, 9, 0, head - back - 1, bound)); // if r9 < bound goto head
        out.push(I(0xb7, 9, 0, 0, 0));
        break;
      }
      default:
        out.push(I(0x85, 0, 0, 0, rng.pick([5, 7, 8])), I(0xbf, r === 1 ? 9 : r, 0, 0, 0));
        out.push(I(0xb7, 0, 0, 0, 2));
    }
  }
  // A bpf-to-bpf call: the callee gets the packet pointer and data_end, checks (or not) and reads; a range it
  // proves also holds for the caller's copies.
  const calls: number[] = [];
  if (rng.chance(0.3)) {
    out.push(I(0xbf, 1, 7, 0, 0), I(0xbf, 2, 8, 0, 0));
    calls.push(out.length);
    out.push(I(0x85, 0, 1, 0, 0), I(0x71, 3, 7, rng.int(12), 0));
  }
  if (rng.chance(0.9)) out.push(I(0xb7, 0, 0, 0, 2));
  const end = out.length;
  out.push(I(0x95, 0, 0, 0, 0));
  for (const j of endJumps) { const x = out[j] as Insn; out[j] = { ...x, off: end - j - 1 }; }
  if (calls.length) {
    const sub = out.length;
    const K = 1 + rng.int(12);
    out.push(I(0xbf, 3, 1, 0, 0), I(0x07, 3, 0, 0, K), I(0xb7, 0, 0, 0, 0));
    out.push(I(rng.chance(0.9) ? 0x2d : 0xad, 3, 2, 1, 0)); // if r3 > r2 goto +1 (or the wrong way round)
    out.push(I(0x71, 0, 1, rng.int(K + 1), 0), I(0x95, 0, 0, 0, 0));
    for (const c of calls) out[c] = { ...(out[c] as Insn), imm: sub - c - 1 };
  }
  return out as Insn[];
}

/** Small random edits: offsets, immediates, registers, opcodes. */
function mutate(rng: Rng, insns: Insn[]): Insn[] {
  const out = insns.slice();
  for (let k = 1 + rng.int(3); k > 0; k--) {
    const i = rng.int(out.length - 1);
    const x = out[i]!;
    if (x.code === 0x18 || (i > 0 && out[i - 1]!.code === 0x18)) continue;
    switch (rng.int(4)) {
      case 0: out[i] = { ...x, off: x.code === 0x05 || (x.code & 7) === 5 ? x.off : x.off + rng.pick([-8, -4, -1, 1, 4, 8]) }; break;
      case 1: out[i] = { ...x, imm: x.code === 0x85 ? x.imm : x.imm + rng.pick([-1, 1, 8, -8, 100]) }; break;
      case 2: out[i] = { ...x, dst: rng.int(10), src: (x.code & 7) === 3 || (x.code & 7) === 1 || (x.code & 8) ? rng.int(10) : x.src }; break;
      default: if ((x.code & 7) === 5 && x.code !== 0x85 && x.code !== 0x95 && x.code !== 0x05) out[i] = { ...x, code: (x.code & 0x0f) | rng.pick(JOPS) };
    }
  }
  return out;
}

function objectOf(insns: Insn[]): ObjectSpec {
  const prog: ProgramSpec = { name: 'fuzz', section: 'xdp', kind: 'xdp', insns, funcs: [], lines: [], coreRelocs: [] };
  return { license: 'GPL', programs: [prog], maps: MAPS, runConfigs: new Map() };
}

function frames(rng: Rng): { data: Uint8Array; tsNs: bigint }[] {
  const lens = [0, 1, 13, 14, 20, 33, 47, 48, 60, 64, rng.int(100)];
  return lens.map((n) => ({ data: Uint8Array.from({ length: n }, () => rng.pick([0, 1, 7, 8, 15, 63, 255, rng.int(256)])), tsNs: 0n }));
}

test('accepted random and mutated programs never fault in the checked interpreter', async (t) => {
  const t0 = performance.now();
  let generated = 0;
  let accepted = 0;
  const bugs: string[] = [];
  for (let seed = FIRST_SEED; performance.now() - t0 < BUDGET_MS; seed++) {
    const rng = new Rng(seed);
    let insns = generate(rng);
    if (rng.chance(0.4)) insns = mutate(rng, insns);
    generated++;
    const obj = objectOf(insns);
    const accepts = (strict: boolean): boolean => {
      try {
        verify(obj.programs[0]!, obj, { strict, insnBudget: 50_000 });
        return true;
      } catch (e) {
        if (e instanceof VerifierError) return false;
        throw new Error(`seed ${seed}: verifier crashed: ${(e as Error).stack}`);
      }
    };
    const byDefault = accepts(false);
    // Strict mode only adds rules: it never accepts what the default mode rejects.
    if (accepts(true) && !byDefault) bugs.push(`seed ${seed}: accepted in strict mode only`);
    if (!byDefault) continue;
    accepted++;
    const res = await runCapture(obj, frames(rng), { engine: 'interp', cpus: 1, arenaBytes: 1 << 24, verify: false });
    const fault = res.frames.find((f) => f.error !== undefined);
    if (fault) {
      bugs.push(`seed ${seed}: accepted, but frame ${fault.i} faulted: ${fault.error}\n${insns.map((_, i) => `  ${i}: ${disassemble(insns, i)}`).join('\n')}`);
      if (bugs.length >= 3) break;
    }
  }
  t.diagnostic(`${generated} programs generated, ${accepted} accepted and run, ${bugs.length} verifier bugs`);
  assert.ok(accepted > 0, 'the generator produces some acceptable programs');
  assert.deepEqual(bugs, []);
});
