import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeInsns, encodeInsns, imm64At, InsnDecodeError } from '../../src/ebpf/insn.js';

test('decode/encode round-trips every byte pattern of a slot', () => {
  const bytes = new Uint8Array(8 * 64);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 0xff;
  assert.deepEqual(encodeInsns(decodeInsns(bytes)), bytes);
});

test('LD_IMM64 immediate spans two slots', () => {
  const insns = decodeInsns(Uint8Array.from([0x18, 0x01, 0, 0, 0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0, 0xef, 0xcd, 0xab, 0x90]));
  assert.equal(imm64At(insns, 0), 0x90abcdef12345678n);
});

test('a stream that is not a multiple of 8 bytes is a typed error', () => {
  assert.throws(() => decodeInsns(new Uint8Array(9)), InsnDecodeError);
});
