/** pcapng (both byte orders, several sections and interfaces) → Capture. Layout: ./pcapng-format.ts. */
import { CaptureFormatError } from './capture-errors.js';
import type { Capture, CapturedFrame, CaptureInterface } from './capture-types.js';
import { BLOCK_MIN_LEN, BYTE_ORDER_MAGIC, BlockType, DEFAULT_TSRESOL, OptionCode, pad4 } from './pcapng-format.js';
import { recordLengthProblem } from './pcap-reader.js';

interface InterfaceState extends CaptureInterface {
  /** Converts a raw timestamp in this interface's units to nanoseconds. */
  readonly toNs: (ts: bigint) => bigint;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** if_tsresol: MSB clear → 10^-v seconds per unit, MSB set → 2^-v. */
function timestampScaler(tsresol: number, offsetSec: bigint, at: number): (ts: bigint) => bigint {
  const offsetNs = offsetSec * 1_000_000_000n;
  const v = tsresol & 0x7f;
  if (tsresol & 0x80) {
    if (v > 64) throw new CaptureFormatError(`if_tsresol 2^-${v} is out of range`, at);
    return (ts) => ((ts * 1_000_000_000n) >> BigInt(v)) + offsetNs;
  }
  if (v > 18) throw new CaptureFormatError(`if_tsresol 10^-${v} is out of range`, at);
  if (v <= 9) {
    const mul = 10n ** BigInt(9 - v);
    return (ts) => ts * mul + offsetNs;
  }
  const div = 10n ** BigInt(v - 9);
  return (ts) => ts / div + offsetNs;
}

interface ParsedOption {
  readonly code: number;
  readonly value: Uint8Array;
  readonly at: number;
}

function parseOptions(bytes: Uint8Array, view: DataView, start: number, end: number, le: boolean): ParsedOption[] {
  const options: ParsedOption[] = [];
  let off = start;
  while (end - off >= 4) {
    const code = view.getUint16(off, le);
    const len = view.getUint16(off + 2, le);
    if (code === OptionCode.END) break;
    if (off + 4 + len > end) throw new CaptureFormatError(`option ${code} overruns its block`, off);
    options.push({ code, value: bytes.subarray(off + 4, off + 4 + len), at: off });
    off += 4 + pad4(len);
  }
  return options;
}

export function readPcapng(bytes: Uint8Array): Capture {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const interfaces: InterfaceState[] = [];
  const frames: CapturedFrame[] = [];
  /** Index in `interfaces` of the current section's first IDB: interface ids in EPBs are per section. */
  let sectionBase = -1;
  let le = true;
  let off = 0;

  const frameFrom = (block: number, ifaceId: number, ts: bigint | undefined, data: Uint8Array, wireLen: number) => {
    const index = sectionBase + ifaceId;
    if (ifaceId >= interfaces.length - sectionBase) {
      throw new CaptureFormatError(`packet refers to interface ${ifaceId}, which the section has not described`, block + 8);
    }
    const problem = recordLengthProblem(data.length, wireLen);
    if (problem) throw new CaptureFormatError(problem, block + 8);
    const iface = interfaces[index]!;
    frames.push(Object.freeze({ data: data.slice(), wireLen, tsNs: ts === undefined ? 0n : iface.toNs(ts), iface: index }));
  };

  while (off < bytes.length) {
    if (bytes.length - off < BLOCK_MIN_LEN) {
      throw new CaptureFormatError(`block header truncated: ${bytes.length - off} of ${BLOCK_MIN_LEN} bytes`, off);
    }
    const type = view.getUint32(off, le);
    if (type === BlockType.SHB) {
      const magicLe = view.getUint32(off + 8, true);
      if (magicLe === BYTE_ORDER_MAGIC) le = true;
      else if (view.getUint32(off + 8, false) === BYTE_ORDER_MAGIC) le = false;
      else throw new CaptureFormatError('section header has a bad byte-order magic', off + 8);
      sectionBase = interfaces.length;
    } else if (sectionBase < 0) {
      throw new CaptureFormatError('pcapng file does not start with a section header block', off);
    }
    const total = view.getUint32(off + 4, le);
    if (total < BLOCK_MIN_LEN || total % 4 !== 0) {
      throw new CaptureFormatError(`block total length ${total} is not a multiple of 4 of at least ${BLOCK_MIN_LEN}`, off + 4);
    }
    if (total > bytes.length - off) {
      throw new CaptureFormatError(`block truncated: ${bytes.length - off} of ${total} bytes`, off);
    }
    if (view.getUint32(off + total - 4, le) !== total) {
      throw new CaptureFormatError('block trailing total length differs from the leading one', off + total - 4);
    }
    const body = off + 8;
    const bodyEnd = off + total - 4;
    const bodyLen = bodyEnd - body;
    const need = (n: number, what: string) => {
      if (bodyLen < n) throw new CaptureFormatError(`${what} body too short: ${bodyLen} of ${n} bytes`, body);
    };

    switch (type) {
      case BlockType.SHB: {
        need(16, 'section header');
        const major = view.getUint16(body + 4, le);
        if (major !== 1) throw new CaptureFormatError(`unsupported pcapng version ${major}`, body + 4);
        break;
      }
      case BlockType.IDB: {
        need(8, 'interface description');
        let tsresol = DEFAULT_TSRESOL;
        let tsoffset = 0n;
        let name: string | undefined;
        for (const opt of parseOptions(bytes, view, body + 8, bodyEnd, le)) {
          if (opt.code === OptionCode.IF_TSRESOL && opt.value.length >= 1) tsresol = opt.value[0]!;
          else if (opt.code === OptionCode.IF_TSOFFSET && opt.value.length >= 8) {
            tsoffset = new DataView(opt.value.buffer, opt.value.byteOffset, 8).getBigInt64(0, le);
          } else if (opt.code === OptionCode.IF_NAME) name = decoder.decode(opt.value).replace(/\0+$/, '');
        }
        const state: InterfaceState = {
          linkType: view.getUint16(body, le),
          snaplen: view.getUint32(body + 4, le),
          toNs: timestampScaler(tsresol, tsoffset, body),
          ...(name === undefined ? {} : { name }),
        };
        interfaces.push(state);
        break;
      }
      case BlockType.EPB: {
        need(20, 'enhanced packet');
        const ifaceId = view.getUint32(body, le);
        const ts = (BigInt(view.getUint32(body + 4, le)) << 32n) | BigInt(view.getUint32(body + 8, le));
        const capLen = view.getUint32(body + 12, le);
        const wireLen = view.getUint32(body + 16, le);
        if (capLen > bodyLen - 20) throw new CaptureFormatError(`packet data (${capLen} bytes) overruns its block`, body + 12);
        frameFrom(off, ifaceId, ts, bytes.subarray(body + 20, body + 20 + capLen), wireLen);
        break;
      }
      case BlockType.PB: {
        need(20, 'packet');
        const ifaceId = view.getUint16(body, le);
        const ts = (BigInt(view.getUint32(body + 4, le)) << 32n) | BigInt(view.getUint32(body + 8, le));
        const capLen = view.getUint32(body + 12, le);
        const wireLen = view.getUint32(body + 16, le);
        if (capLen > bodyLen - 20) throw new CaptureFormatError(`packet data (${capLen} bytes) overruns its block`, body + 12);
        frameFrom(off, ifaceId, ts, bytes.subarray(body + 20, body + 20 + capLen), wireLen);
        break;
      }
      case BlockType.SPB: {
        // No interface id (always the section's first) and no timestamp; captured length is implied:
        // min(original length, snaplen), spec §4.4.
        need(4, 'simple packet');
        if (interfaces.length - sectionBase < 1) {
          throw new CaptureFormatError('simple packet block before any interface description', off);
        }
        const wireLen = view.getUint32(body, le);
        const snaplen = interfaces[sectionBase]!.snaplen;
        const capLen = snaplen > 0 ? Math.min(wireLen, snaplen) : wireLen;
        if (capLen > bodyLen - 4) throw new CaptureFormatError(`packet data (${capLen} bytes) overruns its block`, body);
        frameFrom(off, 0, undefined, bytes.subarray(body + 4, body + 4 + capLen), wireLen);
        break;
      }
      default:
        // NRB, ISB, DSB, custom and unknown blocks carry nothing the data plane replays: skipped, as libpcap does.
        break;
    }
    off += total;
  }
  if (interfaces.length === 0) {
    // libpcap refuses such a file at open ("no Interface Description Blocks"), so do we.
    throw new CaptureFormatError('pcapng file has no interface description block', bytes.length);
  }
  const ifaces = interfaces.map(({ linkType, snaplen, name }) =>
    Object.freeze(name === undefined ? { linkType, snaplen } : { linkType, snaplen, name }));
  return Object.freeze({ linkType: ifaces[0]!.linkType, interfaces: Object.freeze(ifaces), frames: Object.freeze(frames) });
}
