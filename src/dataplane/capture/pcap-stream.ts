/**
 * Capture frames from a byte stream (stdin, `tcpdump -w -` pipes) as they arrive. Microsecond classic pcap —
 * what tcpdump writes — streams through the `pcap-parser` package record by record; other formats (ns pcap,
 * pcapng) are read whole, then iterated, since pcap-parser knows only the µs magic.
 */
import type { Readable } from 'node:stream';
import pcapParser from 'pcap-parser';
import { CaptureFormatError } from './capture-errors.js';
import type { CapturedFrame, CaptureInterface } from './capture-types.js';
import { PCAP_FILE_HEADER_LEN, PCAP_LINKTYPE_MASK, PCAP_RECORD_HEADER_LEN } from './pcap-format.js';
import { parsePcapMagic, pcapTimestampNs, recordLengthProblem } from './pcap-reader.js';
import { readCapture } from './read-capture.js';

export interface CaptureStream {
  readonly linkType: number;
  readonly interfaces: readonly CaptureInterface[];
  /** Frames in file order; throws CaptureFormatError where the stream turns out malformed or truncated. */
  readonly frames: AsyncIterable<CapturedFrame>;
}

/** Above this many parsed-but-unconsumed frames the input is paused (backpressure). */
const HIGH_WATER_FRAMES = 4096;

async function readPrefix(input: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  for await (const chunk of input.iterator({ destroyOnReturn: false })) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    chunks.push(b);
    have += b.length;
    if (have >= n) break;
  }
  return Buffer.concat(chunks);
}

async function readAll(input: Readable, prefix: Buffer): Promise<Uint8Array> {
  const chunks: Buffer[] = [prefix];
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  const all = Buffer.concat(chunks);
  return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
}

export async function openCaptureStream(input: Readable): Promise<CaptureStream> {
  const prefix = await readPrefix(input, 4);
  const magic = parsePcapMagic(prefix);
  if (!magic || magic.precision !== 'us') {
    const capture = readCapture(await readAll(input, prefix));
    return {
      linkType: capture.linkType,
      interfaces: capture.interfaces,
      frames: (async function* () { yield* capture.frames; })(),
    };
  }
  input.unshift(prefix);
  return streamMicrosecondPcap(input);
}

function streamMicrosecondPcap(input: Readable): Promise<CaptureStream> {
  const parser = pcapParser.parse(input);
  const queue: CapturedFrame[] = [];
  let failure: Error | undefined;
  let ended = false;
  let offset = PCAP_FILE_HEADER_LEN;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (err: Error) => {
    if (!failure) failure = err;
    input.pause();
    notify();
  };

  parser.on('packetHeader', (h) => {
    const problem = recordLengthProblem(h.capturedLength, h.originalLength);
    if (problem) fail(new CaptureFormatError(problem, offset + 8));
  });
  parser.on('packet', ({ header, data }) => {
    if (failure) return;
    queue.push(Object.freeze({
      data: new Uint8Array(data),
      wireLen: header.originalLength,
      tsNs: pcapTimestampNs(header.timestampSeconds, header.timestampMicroseconds, 'us'),
      iface: 0,
    }));
    offset += PCAP_RECORD_HEADER_LEN + header.capturedLength;
    if (queue.length >= HIGH_WATER_FRAMES) input.pause();
    notify();
  });
  parser.on('error', (err) => fail(err instanceof CaptureFormatError ? err : new CaptureFormatError(err.message, offset)));
  parser.on('end', () => {
    const leftover = parser.buffer?.length ?? 0;
    if (leftover > 0 && !failure) {
      fail(new CaptureFormatError(`stream ended inside a record (${leftover} bytes left over)`, offset));
    }
    ended = true;
    notify();
  });

  async function* frames(): AsyncGenerator<CapturedFrame> {
    try {
      for (;;) {
        if (queue.length) {
          yield queue.shift()!;
          if (queue.length < HIGH_WATER_FRAMES / 2 && input.isPaused() && !failure && !ended) input.resume();
          continue;
        }
        if (failure) throw failure;
        if (ended) return;
        await new Promise<void>((resolve) => { wake = resolve; });
      }
    } finally {
      // A consumer that stops early (or a failure) must not leave a pipe or file open behind it.
      if (!ended) input.destroy();
    }
  }

  return new Promise((resolve, reject) => {
    parser.on('globalHeader', (h) => {
      // pcap-parser's own version test lets 1.4 or 3.4 through; the whole-file reader requires major 2.
      if (h.majorVersion !== 2) {
        fail(new CaptureFormatError(`unsupported pcap version ${h.majorVersion}.${h.minorVersion}`, 4));
        input.destroy();
        reject(failure);
        return;
      }
      const linkType = h.linkLayerType & PCAP_LINKTYPE_MASK;
      resolve({ linkType, interfaces: [Object.freeze({ linkType, snaplen: h.snapshotLength })], frames: frames() });
    });
    parser.on('error', (err) => reject(new CaptureFormatError(err.message, 0)));
    parser.on('end', () => {
      if (offset === PCAP_FILE_HEADER_LEN && !queue.length) {
        reject(failure ?? new CaptureFormatError(`pcap file header truncated: ${parser.buffer?.length ?? 0} of ${PCAP_FILE_HEADER_LEN} bytes`, parser.buffer?.length ?? 0));
      }
    });
  });
}
