import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MapsFileError, parseMapsLine, parseMapsText } from '../../src/vm/maps-file.js';

test('lines are MAP KEYHEX VALUEHEX with comments, either case, values in field groups, @refs', () => {
  const lines = parseMapsText('# header\n\nports 3500 01   # DNS\n.rodata 00000000 E8030000 04000000\njmp 00000000 @next\n', 'f.maps');
  assert.deepEqual(lines.map((l) => [l.map, Buffer.from(l.key).toString('hex'), l.value.kind === 'bytes' ? Buffer.from(l.value.bytes).toString('hex') : `@${l.value.name}`, l.line]), [
    ['ports', '3500', '01', 3],
    ['.rodata', '00000000', 'e803000004000000', 4],
    ['jmp', '00000000', '@next', 5],
  ]);
  assert.equal(parseMapsLine('   # only a comment', 'x', 1), undefined);
});

test('malformed lines are typed errors carrying file and line', () => {
  for (const [text, re] of [
    ['ok 00 01\nbad 0 01', /^f\.maps:2: key '0' is not an even number of hex digits$/],
    ['ok 00 01\n\nbad 00', /^f\.maps:3: expected 'MAP KEYHEX VALUEHEX', got 2 field\(s\)$/],
    ['bad 00 zz', /^f\.maps:1: value 'zz'/],
    ['bad 00 @', /^f\.maps:1: '@' needs a program or map name$/],
  ] as const) {
    assert.throws(() => parseMapsText(text, 'f.maps'), (e: unknown) => e instanceof MapsFileError && re.test(e.message));
  }
});
