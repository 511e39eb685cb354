/**
 * bpf_trace_printk formatting (src/vm/helpers/trace-printk.ts): the parse-once, number-based formatter
 * against the BigInt formatter it replaced (kept below as the reference): random formats from the kernel's
 * accepted set and beyond, random 64-bit arguments, the same text or both refusing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPrintk, PrintkFormatError } from '../../../src/vm/helpers/trace-printk.js';

const MAX_TRACE_PRINTK_VARARGS = 3;
const MAX_BPRINTF_BUF = 1024;

/** The BigInt formatter formatPrintk was before it parsed formats once (commit 56ee775). */
function referenceFormat(fmt: string, args: readonly bigint[], readString: (addr: number) => string, maxArgs = MAX_TRACE_PRINTK_VARARGS): string {
  let out = '';
  let argi = 0;
  const next = (): bigint => {
    if (argi >= maxArgs || argi >= args.length) throw new PrintkFormatError(`more than ${Math.min(maxArgs, args.length)} arguments`);
    return args[argi++]!;
  };
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i]!;
    if (ch !== '%') { out += ch; continue; }
    i++;
    if (fmt[i] === '%') { out += '%'; continue; }
    let flags = '';
    while (i < fmt.length && '-+ #0'.includes(fmt[i]!)) flags += fmt[i++];
    let width = '';
    while (i < fmt.length && /[0-9]/.test(fmt[i]!)) width += fmt[i++];
    let precision = '';
    if (fmt[i] === '.') { i++; while (i < fmt.length && /[0-9]/.test(fmt[i]!)) precision += fmt[i++]; }
    let longs = 0;
    while (fmt[i] === 'l' && longs < 2) { longs++; i++; }
    const conv = fmt[i];
    let body: string;
    let sign = '';
    switch (conv) {
      case 'd': case 'i': case 'u': case 'x': case 'X': {
        const raw = next();
        const bits = longs ? 64 : 32;
        const signed = conv === 'd' || conv === 'i';
        const v = signed ? BigInt.asIntN(bits, raw) : BigInt.asUintN(bits, raw);
        const mag = v < 0n ? -v : v;
        body = conv === 'x' ? mag.toString(16) : conv === 'X' ? mag.toString(16).toUpperCase() : mag.toString(10);
        if (precision !== '') body = body.padStart(Number(precision), '0');
        if (v < 0n) sign = '-';
        else if (signed && flags.includes('+')) sign = '+';
        else if (signed && flags.includes(' ')) sign = ' ';
        if (flags.includes('#') && (conv === 'x' || conv === 'X') && mag !== 0n) sign += conv === 'x' ? '0x' : '0X';
        break;
      }
      case 'c':
        body = String.fromCharCode(Number(next() & 0xffn));
        break;
      case 's':
        body = readString(Number(BigInt.asUintN(32, next())));
        if (precision !== '') body = body.slice(0, Number(precision));
        break;
      case 'p':
        // Kernel %p prints a hashed pointer; the value itself is more useful here and just as opaque.
        body = BigInt.asUintN(64, next()).toString(16).padStart(16, '0');
        while (/[a-zA-Z0-9]/.test(fmt[i + 1] ?? '') && 'KxBiIS4 6'.includes(fmt[i + 1]!)) i++;
        break;
      default:
        throw new PrintkFormatError(`unsupported conversion '%${conv ?? ''}'`);
    }
    const w = Number(width || '0');
    const len = sign.length + body.length;
    if (len >= w) out += sign + body;
    else if (flags.includes('-')) out += sign + body + ' '.repeat(w - len);
    else if (flags.includes('0') && precision === '' && conv !== 's' && conv !== 'c') out += sign + '0'.repeat(w - len) + body;
    else out += ' '.repeat(w - len) + sign + body;
  }
  return out.slice(0, MAX_BPRINTF_BUF - 1);
}

test('the parsed, number-based formatter prints what the BigInt reference printed', () => {
  let seed = 2026;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
  const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)]!;
  const special = [0n, 1n, -1n, 255n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x1_0000_0000n, -0x1_0000_0000n, -0xffffffffn,
    (1n << 63n) - 1n, -(1n << 63n), 0xdeadbeefcafen, -42n, 0x100n];
  const strings = new Map<number, string>([[0x100, 'hi'], [0x200, 'a longer string']]);
  const readString = (a: number): string => strings.get(a) ?? '';
  let compared = 0;
  for (let i = 0; i < 20000; i++) {
    let fmt = '';
    const convs = rand(5);
    for (let k = 0; k < convs; k++) {
      fmt += pick(['', 'x=', ' ', 'len ', '%%', 'ab%']);
      fmt += '%' + pick(['', '', '-', '+', ' ', '#', '0', '-0', '+ ', '#0']) + pick(['', '', '5', '12', '1']) +
        pick(['', '', '.3', '.', '.0', '.10']) + pick(['', '', 'l', 'll', 'lll']) + pick(['d', 'i', 'u', 'x', 'X', 'c', 's', 'p', 'pK', 'f', 'q', '']);
    }
    fmt += pick(['', '\n', ' end']);
    const args = Array.from({ length: rand(5) }, () => (rand(3) === 0 ? pick(special) : BigInt.asIntN(64, (BigInt(rand(1 << 30)) << 34n) ^ BigInt(rand(1 << 30)))));
    const maxArgs = pick([MAX_TRACE_PRINTK_VARARGS, 12]);
    let want: string | PrintkFormatError;
    try { want = referenceFormat(fmt, args, readString, maxArgs); } catch (e) { want = e as PrintkFormatError; }
    let got: string | PrintkFormatError;
    try { got = formatPrintk(fmt, args, readString, maxArgs); } catch (e) { got = e as PrintkFormatError; }
    if (typeof want === 'string') {
      assert.equal(got, want, `format ${JSON.stringify(fmt)} args ${args.join(',')}`);
      compared++;
    } else {
      assert.ok(got instanceof PrintkFormatError, `format ${JSON.stringify(fmt)} args ${args.join(',')}: the reference refused, got ${String(got)}`);
    }
  }
  assert.ok(compared > 5000, `only ${compared} formats printed`);
});
