import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeInsn, isValidOpcode } from '../../../src/ebpf/insn-validity.js';
import type { Insn } from '../../../src/ebpf/insn.js';

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });

test('opcode table: 126 of 256 opcode bytes are defined (RFC 9669 + legacy packet loads + callx)', () => {
  let n = 0;
  for (let c = 0; c < 256; c++) if (isValidOpcode(c)) n++;
  assert.equal(n, 126);
  for (const c of [0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x06, 0x8d, 0xd7, 0x81, 0x89, 0x91, 0xc3, 0xdb, 0x62]) assert.ok(isValidOpcode(c), c.toString(16));
  for (const c of [0x00, 0x10, 0x38, 0x58, 0x99, 0x8c, 0x0e, 0x86, 0x96, 0x8e, 0xdf, 0xe7, 0xf4, 0x9d, 0x0d, 0xcb, 0xd3, 0x82]) assert.ok(!isValidOpcode(c), c.toString(16));
});

test('fields RFC 9669 reserves are checked', () => {
  const reason = (insns: Insn[], i = 0): string => {
    const d = describeInsn(insns, i);
    return d.valid ? `valid ${d.kind}` : d.reason;
  };
  assert.equal(reason([I(0xbf, 1, 2, 8)]), 'valid movsx64');
  assert.match(reason([I(0xbc, 1, 2, 32)]), /movsx width 32/);
  assert.match(reason([I(0xb7, 1, 0, 8)]), /movsx needs a register/);
  assert.equal(reason([I(0x3f, 1, 2, 1)]), 'valid alu64');
  assert.ok((describeInsn([I(0x3f, 1, 2, 1)], 0) as { v4: boolean }).v4);
  assert.match(reason([I(0x3f, 1, 2, 2)]), /offset 2/);
  assert.match(reason([I(0xdc, 1, 0, 0, 8)]), /width 8/);
  assert.match(reason([I(0xbf, 11, 2)]), /dst register r11/);
  assert.match(reason([I(0x07, 1, 3, 0, 1)]), /nonzero src/);
  assert.match(reason([I(0xdb, 1, 2, 0, 0x02)]), /unknown atomic/);
  assert.equal(reason([I(0xdb, 1, 2, 0, 0xf1)]), 'valid atomic');
  assert.match(reason([I(0x18, 1, 0, 0, 1)]), /missing its second slot/);
  assert.match(reason([I(0x18, 1, 7, 0, 1), I(0)]), /pseudo source 7/);
  assert.equal(reason([I(0x18, 1, 2, 0, 1), I(0, 0, 0, 0, 8)], 1), 'valid ld_imm64_hi');
  assert.match(reason([I(0x95), I(0)], 1), /invalid opcode 0x00/);
  assert.match(reason([I(0x85, 0, 3, 0, 1)]), /unknown src 3/);
  assert.equal(reason([I(0x8d, 2)]), 'valid callx');
  assert.match(reason([I(0x05, 0, 0, 1, 1)]), /ja immediate/);
  assert.equal(reason([I(0x06, 0, 0, 0, 1)]), 'valid ja32');
  assert.match(reason([I(0x20, 1, 0, 0, 4)]), /legacy packet load/);
  assert.equal((describeInsn([I(0x69, 1, 2, 4)], 0) as { accessSize: number }).accessSize, 2);
});
