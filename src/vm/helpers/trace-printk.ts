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
import { type HelperEnv, argU32, retS32 } from './helper-env.js';

const MAX_TRACE_PRINTK_VARARGS = 3;
/** bpf_trace_vprintk's limit (MAX_BPRINTF_VARARGS). */
const MAX_BPRINTF_VARARGS = 12;
const MAX_BPRINTF_BUF = 1024;

export class PrintkFormatError extends Error {}

/** One conversion of a format: `%[flags][width][.precision][l|ll]conv`. */
interface Conversion {
  readonly flags: string;
  readonly width: number;
  /** -1: none given (a bare '.' counts as none, as the kernel's vsnprintf reads it). */
  readonly precision: number;
  readonly longs: number;
  readonly conv: 'd' | 'i' | 'u' | 'x' | 'X' | 'c' | 's' | 'p';
}

/** A format parsed once: literal text and conversions in order, or why the kernel refuses it. */
export type ParsedPrintk = readonly (string | Conversion)[] | PrintkFormatError;

/** Parse `fmt` (bpf_bprintf_prepare's accepted set); the error is returned, not thrown, so it can be cached. */
export function parsePrintk(fmt: string): ParsedPrintk {
  const pieces: (string | Conversion)[] = [];
  let lit = '';
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i]!;
    if (ch !== '%') { lit += ch; continue; }
    i++;
    if (fmt[i] === '%') { lit += '%'; continue; }
    let flags = '';
    while (i < fmt.length && '-+ #0'.includes(fmt[i]!)) flags += fmt[i++];
    let width = '';
    while (i < fmt.length && /[0-9]/.test(fmt[i]!)) width += fmt[i++];
    let precision = '';
    if (fmt[i] === '.') { i++; while (i < fmt.length && /[0-9]/.test(fmt[i]!)) precision += fmt[i++]; }
    let longs = 0;
    while (fmt[i] === 'l' && longs < 2) { longs++; i++; }
    const conv = fmt[i];
    switch (conv) {
      case 'd': case 'i': case 'u': case 'x': case 'X': case 'c': case 's':
        break;
      case 'p':
        while (/[a-zA-Z0-9]/.test(fmt[i + 1] ?? '') && 'KxBiIS4 6'.includes(fmt[i + 1]!)) i++;
        break;
      default:
        return new PrintkFormatError(`unsupported conversion '%${conv ?? ''}'`);
    }
    if (lit !== '') { pieces.push(lit); lit = ''; }
    pieces.push({ flags, width: Number(width || '0'), precision: precision === '' ? -1 : Number(precision), longs, conv });
  }
  if (lit !== '') pieces.push(lit);
  return pieces;
}

/**
 * Render a parsed format with `n` 64-bit arguments given as u32 halves (argument k: low `halves[base + 2k]`,
 * high `halves[base + 2k + 1]`), at most `maxArgs` used; `readString` reads a NUL-terminated string at an
 * address. Throws PrintkFormatError when the format takes more arguments than there are. Arguments that fit
 * in a double are formatted as numbers; only a 64-bit conversion of a value beyond ±2^32 needs a BigInt.
 */
export function renderPrintk(
  parsed: ParsedPrintk, halves: Uint32Array, base: number, n: number, readString: (addr: number) => string, maxArgs = MAX_TRACE_PRINTK_VARARGS,
): string {
  if (parsed instanceof PrintkFormatError) throw parsed;
  const limit = Math.min(maxArgs, n);
  let out = '';
  let argi = 0;
  for (const piece of parsed) {
    if (typeof piece === 'string') { out += piece; continue; }
    if (argi >= limit) throw new PrintkFormatError(`more than ${limit} arguments`);
    const lo = halves[base + 2 * argi]!;
    const hi = halves[base + 2 * argi + 1]!;
    argi++;
    const { flags, conv, precision } = piece;
    let body: string;
    let sign = '';
    switch (conv) {
      case 'd': case 'i': case 'u': case 'x': case 'X': {
        const signed = conv === 'd' || conv === 'i';
        const radix = conv === 'x' || conv === 'X' ? 16 : 10;
        let negative: boolean;
        let zero: boolean;
        if (piece.longs === 0 || hi === 0 || (signed && hi === 0xffffffff && lo !== 0)) {
          // The value fits in a double: 32-bit conversions, and 64-bit ones within ±2^32.
          const v = piece.longs === 0 ? (signed ? lo | 0 : lo) : hi === 0 ? lo : lo - 0x1_0000_0000;
          negative = v < 0;
          zero = v === 0;
          body = Math.abs(v).toString(radix);
        } else {
          const raw = (BigInt(hi) << 32n) | BigInt(lo);
          const v = signed ? BigInt.asIntN(64, raw) : raw;
          negative = v < 0n;
          zero = false;
          body = (negative ? -v : v).toString(radix);
        }
        if (conv === 'X') body = body.toUpperCase();
        if (precision >= 0) body = body.padStart(precision, '0');
        if (negative) sign = '-';
        else if (signed && flags.includes('+')) sign = '+';
        else if (signed && flags.includes(' ')) sign = ' ';
        if (flags.includes('#') && radix === 16 && !zero) sign += conv === 'x' ? '0x' : '0X';
        break;
      }
      case 'c':
        body = String.fromCharCode(lo & 0xff);
        break;
      case 's':
        body = readString(lo);
        if (precision >= 0) body = body.slice(0, precision);
        break;
      case 'p':
        // Kernel %p prints a hashed pointer; the value itself is more useful here and just as opaque.
        body = hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
        break;
    }
    const w = piece.width;
    const len = sign.length + body.length;
    if (len >= w) out += sign + body;
    else if (flags.includes('-')) out += sign + body + ' '.repeat(w - len);
    else if (flags.includes('0') && precision < 0 && conv !== 's' && conv !== 'c') out += sign + '0'.repeat(w - len) + body;
    else out += ' '.repeat(w - len) + sign + body;
  }
  return out.slice(0, MAX_BPRINTF_BUF - 1);
}

/** Format `fmt` with 64-bit `args`; `readString` reads a NUL-terminated string at an address. */
export function formatPrintk(fmt: string, args: readonly bigint[], readString: (addr: number) => string, maxArgs = MAX_TRACE_PRINTK_VARARGS): string {
  const halves = new Uint32Array(2 * args.length);
  args.forEach((a, k) => {
    const v = BigInt.asUintN(64, a);
    halves[2 * k] = Number(v & 0xffffffffn);
    halves[2 * k + 1] = Number(v >> 32n);
  });
  return renderPrintk(parsePrintk(fmt), halves, 0, args.length, readString, maxArgs);
}

/**
 * Formats seen at each address, so a program printing on every frame parses its format once: an entry is
 * used only while the arena still holds the same bytes there (a format is usually .rodata, but may be
 * stack or map memory that changes).
 */
class FormatCache {
  private readonly entries = new Map<number, { readonly bytes: Uint8Array; readonly parsed: ParsedPrintk | undefined }>();

  /** The parsed format at [addr, addr + size), undefined when it is not NUL-terminated within size (EINVAL). */
  lookup(u8: Uint8Array, addr: number, size: number): ParsedPrintk | undefined {
    const e = this.entries.get(addr);
    if (e !== undefined && e.bytes.length === size && sameBytes(e.bytes, u8, addr)) return e.parsed;
    const bytes = u8.slice(addr, addr + size);
    const nul = bytes.indexOf(0);
    const parsed = size === 0 || nul < 0 ? undefined : parsePrintk(Buffer.from(bytes.subarray(0, nul)).toString('latin1'));
    if (this.entries.size >= MAX_CACHED_FORMATS) this.entries.clear();
    this.entries.set(addr, { bytes, parsed });
    return parsed;
  }
}

const MAX_CACHED_FORMATS = 256;

function sameBytes(a: Uint8Array, u8: Uint8Array, addr: number): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== u8[addr + i]) return false;
  return true;
}

export function tracePrintkHelpers(env: HelperEnv): ReadonlyMap<number, HelperImpl> {
  const readString = (addr: number): string => {
    const u8 = env.arena.u8;
    let end = addr;
    while (end < u8.length && end - addr < MAX_BPRINTF_BUF && u8[end] !== 0) end++;
    return Buffer.from(u8.subarray(addr, end)).toString('latin1');
  };
  const formats = new FormatCache();
  /**
   * Format fmt (fmt_size bytes, NUL-terminated) with `n` arguments as u32 halves at halves[base...], emit
   * it, return its length or -EINVAL.
   */
  const printk = (c: HelperCall, halves: Uint32Array, base: number, n: number, maxArgs: number): void => {
    const fmt = argU32(c, 1);
    const size = argU32(c, 2);
    env.checkMem(c, fmt, size, false);
    const parsed = formats.lookup(env.arena.u8, fmt, size);
    if (parsed === undefined) return retS32(c, -Errno.EINVAL);
    let text: string;
    try {
      text = renderPrintk(parsed, halves, base, n, readString, maxArgs);
    } catch (e) {
      if (e instanceof PrintkFormatError) return retS32(c, -Errno.EINVAL);
      throw e;
    }
    env.emit({ type: 'trace', cpu: c.cpu, text });
    retS32(c, text.length);
  };
  return new Map<number, HelperImpl>([
    // r3..r5 are the arguments: their halves sit at regs[6..11].
    [6, (c) => printk(c, c.regs, 6, 3, MAX_TRACE_PRINTK_VARARGS)],
    [177, (c) => {
      const data = argU32(c, 3);
      const len = argU32(c, 4);
      if (len % 8 !== 0 || len > MAX_BPRINTF_VARARGS * 8 || (len > 0 && data === 0)) return retS32(c, -Errno.EINVAL);
      env.checkMem(c, data, len, false);
      const halves = new Uint32Array(len / 4);
      const u32 = env.arena.u32;
      // The u64 array is read as little-endian u32 halves; an address that is not 4-aligned is copied bytewise.
      if (data % 4 === 0) halves.set(u32.subarray(data >>> 2, (data + len) >>> 2));
      else new Uint8Array(halves.buffer).set(env.arena.u8.subarray(data, data + len));
      printk(c, halves, 0, len / 8, MAX_BPRINTF_VARARGS);
    }],
  ]);
}
