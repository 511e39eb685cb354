/**
 * bpf_trace_printk (6) and bpf_trace_vprintk (177: arguments in a u64 array of data_len bytes, a multiple of 8,
 * at most 12) (kernel/trace/bpf_trace.c + bpf_bprintf_prepare in kernel/bpf/helpers.c): the format
 * must be NUL-terminated within fmt_size, take at most 3 arguments, and use only the conversions the kernel
 * accepts (%d %i %u %x %X with l/ll, %c, %s, %p, %%, flags "-+ #0", width and precision); otherwise
 * -EINVAL. Returns the length of the formatted text (at most MAX_BPRINTF_BUF - 1), which goes to the
 * runtime's trace sink.
 */
import type { HelperCall, HelperImpl } from '../exec-types.js';
import { Errno } from '../maps/errno.js';
import { type HelperEnv, argU32, argU64, retS32 } from './helper-env.js';

const MAX_TRACE_PRINTK_VARARGS = 3;
/** bpf_trace_vprintk's limit (MAX_BPRINTF_VARARGS). */
const MAX_BPRINTF_VARARGS = 12;
const MAX_BPRINTF_BUF = 1024;

export class PrintkFormatError extends Error {}

/** Format `fmt` with 64-bit `args`; `readString` reads a NUL-terminated string at an address. */
export function formatPrintk(fmt: string, args: readonly bigint[], readString: (addr: number) => string, maxArgs = MAX_TRACE_PRINTK_VARARGS): string {
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

export function tracePrintkHelpers(env: HelperEnv): ReadonlyMap<number, HelperImpl> {
  const readString = (addr: number): string => {
    const u8 = env.arena.u8;
    let end = addr;
    while (end < u8.length && end - addr < MAX_BPRINTF_BUF && u8[end] !== 0) end++;
    return Buffer.from(u8.subarray(addr, end)).toString('latin1');
  };
  /** Format fmt (fmt_size bytes, NUL-terminated) with `args`, emit it, return its length or -EINVAL. */
  const printk = (c: HelperCall, args: readonly bigint[], maxArgs: number): void => {
    const fmt = argU32(c, 1);
    const size = argU32(c, 2);
    env.checkMem(c, fmt, size, false);
    const bytes = env.arena.u8.subarray(fmt, fmt + size);
    const nul = bytes.indexOf(0);
    if (size === 0 || nul < 0) return retS32(c, -Errno.EINVAL);
    let text: string;
    try {
      text = formatPrintk(Buffer.from(bytes.subarray(0, nul)).toString('latin1'), args, readString, maxArgs);
    } catch (e) {
      if (e instanceof PrintkFormatError) return retS32(c, -Errno.EINVAL);
      throw e;
    }
    env.emit({ type: 'trace', cpu: c.cpu, text });
    retS32(c, text.length);
  };
  return new Map<number, HelperImpl>([
    [6, (c) => printk(c, [argU64(c, 3), argU64(c, 4), argU64(c, 5)], MAX_TRACE_PRINTK_VARARGS)],
    [177, (c) => {
      const data = argU32(c, 3);
      const len = argU32(c, 4);
      if (len % 8 !== 0 || len > MAX_BPRINTF_VARARGS * 8 || (len > 0 && data === 0)) return retS32(c, -Errno.EINVAL);
      env.checkMem(c, data, len, false);
      const dv = env.arena.dv;
      const args = Array.from({ length: len / 8 }, (_, i) => dv.getBigUint64(data + 8 * i, true));
      printk(c, args, MAX_BPRINTF_VARARGS);
    }],
  ]);
}
