import { test } from 'node:test';
import assert from 'node:assert/strict';
import { disassemble, jumpTarget, listing } from '../../../src/ebpf/disasm.js';
import type { Insn } from '../../../src/ebpf/insn.js';

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });

// Forms llvm-objdump-16 cannot print (v4, ST, JSET, 32-bit atomics): the syntax of later LLVM releases.
const CASES: ReadonlyArray<readonly [Insn, string]> = [
  [I(0x3f, 1, 2, 1), 'r1 s/= r2'],
  [I(0x34, 1, 0, 1, -3), 'w1 s/= -0x3'],
  [I(0x9f, 1, 2, 1), 'r1 s%= r2'],
  [I(0x94, 1, 0, 1, 7), 'w1 s%= 0x7'],
  [I(0xbf, 1, 2, 8), 'r1 = (s8)r2'],
  [I(0xbf, 1, 2, 16), 'r1 = (s16)r2'],
  [I(0xbf, 1, 2, 32), 'r1 = (s32)r2'],
  [I(0xbc, 1, 2, 8), 'w1 = (s8)w2'],
  [I(0xbc, 1, 2, 16), 'w1 = (s16)w2'],
  [I(0x91, 0, 1, 3), 'r0 = *(s8 *)(r1 + 0x3)'],
  [I(0x89, 0, 1, -2), 'r0 = *(s16 *)(r1 - 0x2)'],
  [I(0x81, 0, 10, -8), 'r0 = *(s32 *)(r10 - 0x8)'],
  [I(0xd7, 3, 0, 0, 16), 'r3 = bswap16 r3'],
  [I(0xd7, 3, 0, 0, 64), 'r3 = bswap64 r3'],
  [I(0x06, 0, 0, 0, -7), 'gotol -0x7'],
  [I(0x45, 1, 0, 1, 4), 'if r1 & 0x4 goto +0x1'],
  [I(0x4e, 1, 2, -1), 'if w1 & w2 goto -0x1'],
  [I(0x62, 1, 0, 3, 7), '*(u32 *)(r1 + 0x3) = 0x7'],
  [I(0x7a, 10, 0, -8, -1), '*(u64 *)(r10 - 0x8) = -0x1'],
  [I(0xc3, 1, 2, 0, 0x00), 'lock *(u32 *)(r1 + 0x0) += r2'],
  [I(0xc3, 1, 2, 0, 0x40), 'lock *(u32 *)(r1 + 0x0) |= w2'],
  [I(0xc3, 1, 2, 4, 0x01), 'w2 = atomic_fetch_add((u32 *)(r1 + 0x4), w2)'],
  [I(0xc3, 1, 2, 0, 0xa1), 'w2 = atomic_fetch_xor((u32 *)(r1 + 0x0), w2)'],
  [I(0xc3, 10, 2, -4, 0xe1), 'w2 = xchg32_32(r10 - 0x4, w2)'],
  [I(0xc3, 10, 2, -4, 0xf1), 'w0 = cmpxchg32_32(r10 - 0x4, w0, w2)'],
  [I(0xdb, 10, 1, -8, 0xf1), 'r0 = cmpxchg_64(r10 - 0x8, r0, r1)'],
  [I(0xdb, 10, 1, -8, 0x00), 'lock *(u64 *)(r10 - 0x8) += r1'],
  [I(0x8d, 2), 'callx r2'],
  [I(0x85, 0, 1, 0, 3), 'call pc+0x3'],
  [I(0x85, 0, 2, 0, 77), 'call kfunc 0x4d'],
  [I(0x85, 0, 0, 0, 1), 'call 0x1'],
  [I(0x95), 'exit'],
  [I(0x50, 0, 3, 0, 4), 'r0 = *(u8 *)skb[r3 + 0x4]'],
  [I(0xe4, 1), '<unknown>'],
  [I(0x8f, 1), '<unknown>'],
  [I(0xdf, 1, 0, 0, 16), '<unknown>'],
  [I(0xd4, 1, 0, 0, 8), '<unknown>'],
];

test('v4 and non-llvm-16 forms print in later LLVM syntax', () => {
  for (const [insn, text] of CASES) assert.equal(disassemble([insn], 0), text, JSON.stringify(insn));
});

test('LD_IMM64 with each pseudo source', () => {
  const wide = (src: number, lo: number, hi: number): Insn[] => [I(0x18, 1, src, 0, lo), I(0, 0, 0, 0, hi)];
  assert.equal(disassemble(wide(0, 0x55667788, 0x11223344), 0), 'r1 = 0x1122334455667788 ll');
  assert.equal(disassemble(wide(0, -1, -1), 0), 'r1 = 0xffffffffffffffff ll');
  assert.equal(disassemble(wide(1, 3, 0), 0), 'r1 = map[3] ll');
  assert.equal(disassemble(wide(2, 3, 16), 0), 'r1 = map[3]+0x10 ll');
  assert.equal(disassemble(wide(3, 42, 0), 0), 'r1 = btf_id[0x2a] ll');
  assert.equal(disassemble(wide(4, 5, 0), 0), 'r1 = func[+0x5] ll');
  assert.equal(disassemble(wide(5, 2, 0), 0), 'r1 = map_idx[2] ll');
  assert.equal(disassemble(wide(6, 2, 8), 0), 'r1 = map_idx[2]+0x8 ll');
  assert.equal(disassemble(wide(0, 1, 2), 1), '<unknown>');
});

test('listing skips second slots and resolves jump targets', () => {
  const prog = [I(0x18, 0, 0, 0, 1), I(0, 0, 0, 0, 0), I(0x15, 0, 0, 1, 0), I(0x06, 0, 0, 0, -4), I(0x95)];
  assert.equal(listing(prog), [
    '    0: r0 = 0x1 ll',
    '    2: if r0 == 0x0 goto +0x1 <4>',
    '    3: gotol -0x4 <0>',
    '    4: exit',
  ].join('\n'));
  assert.equal(jumpTarget([I(0x85, 0, 1, 0, -1)], 0), 0);
  assert.equal(jumpTarget([I(0x85, 0, 0, 0, 5)], 0), undefined);
});

test('any slot content decodes and prints without throwing; valid ones never print <unknown>', async () => {
  const { describeInsn } = await import('../../../src/ebpf/insn-validity.js');
  let x = 0x9e3779b9;
  const next = (): number => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x;
  };
  for (let k = 0; k < 50000; k++) {
    const insns: Insn[] = [0, 1].map(() => ({
      code: next() & 0xff, dst: next() & 0xf, src: next() & 0xf,
      off: k % 2 === 0 ? (next() & 0xffff) - 0x8000 : next() % 3, imm: k % 3 === 0 ? next() | 0 : next() % 70,
    }));
    const text = disassemble(insns, 0);
    assert.equal(typeof text, 'string');
    const d = describeInsn(insns, 0);
    assert.equal(text === '<unknown>', !d.valid, `${JSON.stringify(insns[0])}: ${text}`);
  }
});

test('decimal style prints the same syntax with decimal numbers', () => {
  assert.equal(disassemble([I(0x61, 1, 1, 4)], 0, 'decimal'), 'r1 = *(u32 *)(r1 + 4)');
  assert.equal(disassemble([I(0x85, 0, 0, 0, 1)], 0, 'decimal'), 'call 1');
  assert.equal(disassemble([I(0x2d, 2, 3, 5)], 0, 'decimal'), 'if r2 > r3 goto +5');
  assert.equal(disassemble([I(0x07, 10, 0, 0, -8)], 0, 'decimal'), 'r10 += -8');
  assert.equal(disassemble([I(0x18, 0, 0, 0, 0x55667788), I(0, 0, 0, 0, 0x11223344)], 0, 'decimal'), 'r0 = 1234605616436508552 ll');
  assert.equal(listing([I(0x05, 0, 0, -1)], 'decimal'), '    0: goto -1 <0>');
});
