/**
 * Bounds-checked little-endian reads over one region of the object (a section, a header). Every read past
 * the region's end is an ObjectFormatError naming the region and the offset inside it, so a truncated or
 * lying object can never surface as a RangeError or an `undefined`.
 */
import { ObjectFormatError } from '../loader-errors.js';

export class ByteReader {
  private readonly dv: DataView;

  constructor(readonly bytes: Uint8Array, readonly region: string) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  fail(message: string, offset: number): never {
    throw new ObjectFormatError(message, { section: this.region, byteOffset: offset });
  }

  need(offset: number, size: number, what: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || size < 0 || offset + size > this.bytes.length) {
      this.fail(`${what}: ${size} bytes at ${offset} run past the end (${this.bytes.length} bytes)`, offset);
    }
  }

  u8(offset: number, what = 'u8'): number {
    this.need(offset, 1, what);
    return this.dv.getUint8(offset);
  }

  u16(offset: number, what = 'u16'): number {
    this.need(offset, 2, what);
    return this.dv.getUint16(offset, true);
  }

  u32(offset: number, what = 'u32'): number {
    this.need(offset, 4, what);
    return this.dv.getUint32(offset, true);
  }

  i32(offset: number, what = 'i32'): number {
    this.need(offset, 4, what);
    return this.dv.getInt32(offset, true);
  }

  /** A 64-bit field that must fit a JS safe integer (file offsets and sizes). */
  u64(offset: number, what = 'u64'): number {
    this.need(offset, 8, what);
    const v = this.dv.getBigUint64(offset, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what}: value ${v} is out of range`, offset);
    return Number(v);
  }

  i64(offset: number, what = 'i64'): bigint {
    this.need(offset, 8, what);
    return this.dv.getBigInt64(offset, true);
  }

  slice(offset: number, size: number, what: string): Uint8Array {
    this.need(offset, size, what);
    return this.bytes.subarray(offset, offset + size);
  }
}

/** A NUL-terminated string table (ELF .strtab/.shstrtab, BTF string section). */
export class StringTable {
  private readonly cache = new Map<number, string>();
  private static readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(readonly bytes: Uint8Array, readonly region: string, private readonly baseOffset = 0) {}

  get(offset: number, what = 'string'): string {
    const hit = this.cache.get(offset);
    if (hit !== undefined) return hit;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.bytes.length) {
      throw new ObjectFormatError(`${what}: string offset ${offset} is outside the string table (${this.bytes.length} bytes)`,
        { section: this.region, byteOffset: this.baseOffset + Math.max(0, Math.min(offset, this.bytes.length)) });
    }
    const end = this.bytes.indexOf(0, offset);
    if (end < 0) {
      throw new ObjectFormatError(`${what}: string at ${offset} is not NUL-terminated`,
        { section: this.region, byteOffset: this.baseOffset + offset });
    }
    const s = StringTable.decoder.decode(this.bytes.subarray(offset, end));
    this.cache.set(offset, s);
    return s;
  }
}
