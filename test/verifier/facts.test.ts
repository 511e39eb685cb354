/**
 * What the verifier proves per instruction: the assertions an instruction must satisfy (assertions.ts),
 * and the facts handed to the JIT (VerifiedProgram.facts): 32-bit registers, dead branches, access kinds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Insn } from '../../src/ebpf/insn.js';
import { parseObject } from '../../src/ebpf/loader.js';
import type { ObjectSpec, ProgramSpec } from '../../src/ebpf/object-spec.js';
import { assertionsOf, assertionString, verify, VerifierError } from '../../src/verifier/index.js';

const CORPUS = fileURLToPath(new URL('../../../test/verifier/corpus/', import.meta.url));
const I = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

function raw(insns: Insn[]): [ProgramSpec, ObjectSpec] {
  const p: ProgramSpec = { name: 'raw', section: 'xdp', kind: 'xdp', insns, funcs: [], lines: [], coreRelocs: [] };
  return [p, { license: 'GPL', programs: [p], maps: [], runConfigs: new Map() }];
}

test('each instruction states what must hold for it', () => {
  const insns = [I(0x61, 2, 1, 0, 0), I(0x73, 10, 2, -8, 0), I(0x95, 0, 0, 0, 0)];
  assert.deepEqual(assertionsOf(insns, 0, undefined).map(assertionString), ['R1 initialized', 'R2 writable', 'read 4B at R1+0 in bounds']);
  assert.deepEqual(assertionsOf(insns, 1, undefined).map(assertionString), ['R2 initialized', 'R10 initialized', 'write 1B at R10-8 in bounds']);
  assert.deepEqual(assertionsOf(insns, 2, undefined).map(assertionString), ['R0 holds the return value', 'references released']);
});

test('facts: packet and ctx accesses, dead branches, 32-bit registers', () => {
  // r2 = data; r3 = data_end; r4 = r2 + 14; if r4 > r3 goto +2; r0 = *(u16 *)(r2 + 12); r0 &= 3;
  // r5 = 1; if r5 == 2 goto +1 (never); exit; r0 = 7 ... exit
  const [p, o] = raw([
    I(0x61, 2, 1, 0, 0), I(0x61, 3, 1, 4, 0), I(0xbf, 4, 2, 0, 0), I(0x07, 4, 0, 0, 14),
    I(0xb7, 0, 0, 0, 1), I(0x2d, 4, 3, 2, 0), I(0x69, 0, 2, 12, 0), I(0x57, 0, 0, 0, 3),
    I(0xb7, 5, 0, 0, 1), I(0x15, 5, 0, 1, 2), I(0x95, 0, 0, 0, 0), I(0xb7, 0, 0, 0, 7), I(0x95, 0, 0, 0, 0),
  ]);
  const v = verify(p, o);
  assert.equal(v.facts[11], undefined, 'insn 11 is never reached: r5 == 1');
  assert.deepEqual(v.facts[0]!.access, { region: 'ctx', offset: 0 });
  assert.deepEqual(v.facts[6]!.access, { region: 'packet', offset: 12 });
  assert.equal(v.facts[9]!.deadBranch, 'taken');
  assert.equal(v.facts[5]!.deadBranch, undefined);
  assert.ok((v.facts[7]!.regs32 & 1) !== 0, 'r0 after a 2-byte load is 32-bit');
  assert.ok((v.facts[7]!.regs32 & (1 << 2)) === 0, 'r2 (a pointer) is not');
  assert.ok(v.processed >= 11 && v.states >= 0 && v.ms >= 0);
});

test('a rejection carries the instruction, disassembly, source line, registers, rule, hint and a witness', () => {
  const obj = parseObject(readFileSync(`${CORPUS}ok_ipv4_ihl_varoff.o`));
  assert.ok(verify(obj.programs[0]!, obj));
  const bad = parseObject(readFileSync(`${CORPUS}bad_pkt_off_by_one.o`));
  try {
    verify(bad.programs[0]!, bad);
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof VerifierError);
    const d = e.detail;
    assert.equal(d.insn, 6);
    assert.equal(d.disasm, 'r0 = *(u32 *)(r2 + 0xc)');
    assert.match(d.source?.file ?? '', /bad_pkt_off_by_one\.c/);
    assert.match(d.registers, /R2=pkt\(r=14\)/);
    assert.match(d.rule, /invalid access to packet, off=12 size=4/);
    assert.match(d.hint ?? '', /range 14, the load reads bytes 12\.\.15: add a check that data \+ 16 <= data_end/);
    assert.match(d.witness ?? '', /packet of 15 bytes/);
  }
});

test('strict mode only ever rejects more', () => {
  for (const name of ['bad_ptr_return', 'ok_var_stack_read', 'ok_ipv4_ihl_varoff']) {
    const obj = parseObject(readFileSync(`${CORPUS}${name}.o`));
    assert.ok(verify(obj.programs[0]!, obj, {}));
    assert.throws(() => verify(obj.programs[0]!, obj, { strict: true }), VerifierError);
  }
});

test('-v log: the entry state, then one line per processed instruction with the state after it', () => {
  const obj = parseObject(readFileSync(`${CORPUS}ok_stack_zero_read.o`));
  const v = verify(obj.programs[0]!, obj, { log: true });
  const lines = (v.log ?? '').split('\n');
  assert.equal(lines.length, 1 + v.processed);
  assert.equal(lines[0], '0: R1=ctx R10=fp0');
  assert.equal(lines[1], '0: (b7) r1 = 0x0 ; R1=0 R10=fp0');
  assert.match(lines[2]!, /^1: \(7b\) \*\(u64 \*\)\(r10 - 0x8\) = r1 ; R1=0 R10=fp0 fp-8=0$/);
  const branches = verify(...(() => { const o = parseObject(readFileSync(`${CORPUS}ok_pkt_meta_checked.o`)); return [o.programs[0]!, o, { log: true }] as const; })());
  assert.match(branches.log ?? '', /^from 5 to 8: /m);
});
