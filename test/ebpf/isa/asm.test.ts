import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsmError, assemble } from '../../../src/ebpf/asm.js';
import { disassemble } from '../../../src/ebpf/disasm.js';

const text = (src: string): string[] => {
  const insns = assemble(src);
  const out: string[] = [];
  for (let i = 0; i < insns.length; i++) {
    out.push(disassemble(insns, i));
    if (insns[i]!.code === 0x18) i++;
  }
  return out;
};

test('bpf_conformance syntax assembles to the expected instructions', () => {
  assert.deepEqual(text(`
    mov %r0, 0x11      # comment
    mov32 %r1, -1
    add %r0, %r1
    sdiv32 %r1, 3
    smod %r1, %r2
    neg32 %r3
    movsx1632 %r2, %r1
    movsx3264 %r2, %r1
    be16 %r0
    le64 %r0
    bswap32 %r0
    swap64 %r1
    ldxdw %r0, [%r1+8]
    ldxsh %r0, [%r10-2]
    ldxb %r0, [%r1]
    stxw [%r10-4], %r1
    sth [%r1+2], 0x1234
    lddw %r0, 0x1122334455667788
    lock add [%r10-8], %r1
    lock fetch xor32 [%r10-4], %r3
    lock xchg [%r10-8], %r1
    lock cmpxchg32 [%r10-8], %r1
    call 5
    call %r2
    exit`), [
    'r0 = 0x11', 'w1 = -0x1', 'r0 += r1', 'w1 s/= 0x3', 'r1 s%= r2', 'w3 = -w3', 'w2 = (s16)w1', 'r2 = (s32)r1',
    'r0 = be16 r0', 'r0 = le64 r0', 'r0 = bswap32 r0', 'r1 = bswap64 r1',
    'r0 = *(u64 *)(r1 + 0x8)', 'r0 = *(s16 *)(r10 - 0x2)', 'r0 = *(u8 *)(r1 + 0x0)',
    '*(u32 *)(r10 - 0x4) = r1', '*(u16 *)(r1 + 0x2) = 0x1234', 'r0 = 0x1122334455667788 ll',
    'lock *(u64 *)(r10 - 0x8) += r1', 'w3 = atomic_fetch_xor((u32 *)(r10 - 0x4), w3)',
    'r1 = xchg_64(r10 - 0x8, r1)', 'w0 = cmpxchg32_32(r10 - 0x8, w0, w1)', 'call 0x5', 'callx r2', 'exit',
  ]);
});

test('labels, +N offsets, the implicit exit label, ja32 and local calls', () => {
  assert.deepEqual(text(`
    jgt %r1, 0x2, L3
    ja exit
    L3:
    jne32 %r1, %r2, +1
    ja32 L3
    call local f
    exit
    f:
    mov %r0, 1
    exit`), ['if r1 > 0x2 goto +0x1', 'goto +0x3', 'if w1 != w2 goto +0x1', 'gotol -0x2', 'call pc+0x1', 'exit', 'r0 = 0x1', 'exit']);
});

test('errors are typed and carry the line number', () => {
  const fails = (src: string, line: number, msg: RegExp): void => {
    assert.throws(() => assemble(src), (e: unknown) => e instanceof AsmError && e.line === line && msg.test(e.message));
  };
  fails('mov %r0, 1\nfrob %r1', 2, /unknown mnemonic 'frob'/);
  fails('mov %r0', 1, /takes 2 operands/);
  fails('\n\nja nowhere\nexit', 3, /unknown label 'nowhere'/);
  fails('mov %rx, 1', 1, /expected a register/);
  fails('ldxw %r0, %r1', 1, /memory operand/);
  fails('a:\na:\nexit', 2, /duplicate label/);
  fails('lddw %r0, 0x10000000000000000', 1, /64 bits/);
  fails('lock nand [%r1], %r2', 1, /atomic operation/);
});
