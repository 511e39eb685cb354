/**
 * Hostile input: every prefix of small captures, and seeded random mutations of them, must yield either a
 * Capture or a CaptureFormatError — never another exception, never a hang.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Readable } from 'node:stream';
import {
  CaptureFormatError, openCaptureStream, readCapture, type Capture, type CapturedFrame,
} from '../../../src/dataplane/capture/index.js';
import { Prng } from '../../../pcaps/prng.js';
import { readSample } from './sample-captures.js';

function readOrFormatError(bytes: Uint8Array): Capture | CaptureFormatError {
  try {
    return readCapture(bytes);
  } catch (e) {
    if (e instanceof CaptureFormatError) {
      assert.ok(Number.isInteger(e.byteOffset) && e.byteOffset >= 0 && e.byteOffset <= bytes.length,
        `byteOffset ${e.byteOffset} inside the ${bytes.length}-byte input`);
      return e;
    }
    throw e;
  }
}

describe('truncation at every byte', () => {
  for (const name of ['malformed.pcap', 'malformed.ns.pcap', 'malformed.pcapng']) {
    it(name, () => {
      const bytes = readSample(name);
      const full = readCapture(bytes);
      let parsed = 0;
      for (let n = 0; n < bytes.length; n++) {
        const r = readOrFormatError(bytes.subarray(0, n));
        if (r instanceof CaptureFormatError) continue;
        parsed++;
        // A prefix that parses holds exactly the first frames of the whole file.
        assert.ok(r.frames.length <= full.frames.length);
        r.frames.forEach((f, i) => assert.deepEqual(f.data, full.frames[i]!.data, `prefix ${n} frame ${i}`));
      }
      // Classic pcap: every record boundary parses; pcapng: every block boundary after the first IDB.
      assert.ok(parsed > full.frames.length / 2, `${parsed} prefixes parsed`);
    });
  }
});

/** Values that tend to break length arithmetic. */
const INTERESTING_U32 = [0, 1, 3, 4, 11, 12, 0x7f, 0xff, 0xffff, 0x10000, 0x3ffff, 0x40000, 0x40001, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];

function mutate(rng: Prng, input: Uint8Array): Uint8Array {
  let b = input.slice();
  const steps = rng.int(1, 4);
  for (let s = 0; s < steps; s++) {
    const at = rng.int(0, Math.max(0, b.length - 1));
    switch (rng.int(0, 5)) {
      case 0:
        b[at] = rng.u32() & 0xff;
        break;
      case 1:
        b[at] = b[at]! ^ (1 << rng.int(0, 7));
        break;
      case 2:
        if (at + 4 <= b.length) new DataView(b.buffer).setUint32(at & ~3, rng.pick(INTERESTING_U32), rng.chance(0.5));
        break;
      case 3:
        b = b.slice(0, at);
        break;
      case 4: {
        const len = rng.int(1, 64);
        const chunk = b.slice(at, at + len);
        const out = new Uint8Array(b.length + chunk.length);
        out.set(b.subarray(0, at));
        out.set(chunk, at);
        out.set(b.subarray(at), at + chunk.length);
        b = out;
        break;
      }
      default:
        b = b.slice(0, at).length ? Uint8Array.from([...b.subarray(0, at), ...b.subarray(Math.min(b.length, at + rng.int(1, 32)))]) : b;
    }
  }
  return b;
}

describe('mutation fuzzer', () => {
  for (const name of ['malformed.pcap', 'malformed.ns.pcap', 'malformed.pcapng', 'linktypes.pcapng', 'raw.pcap']) {
    it(`${name}: 1500 seeded mutants give a Capture or a CaptureFormatError`, () => {
      const seed = [...name].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0, 0x811c9dc5);
      const rng = new Prng(seed);
      const original = readSample(name);
      let errors = 0;
      let slowest = 0;
      for (let i = 0; i < 1500; i++) {
        const m = mutate(rng, original);
        const t0 = performance.now();
        if (readOrFormatError(m) instanceof CaptureFormatError) errors++;
        slowest = Math.max(slowest, performance.now() - t0);
      }
      // Bounded time per input (generous: the machine is shared): a reader that loops, or allocates by a
      // corrupt length, would show here.
      assert.ok(slowest < 2000, `slowest mutant took ${slowest.toFixed(1)} ms`);
      assert.ok(errors > 0, 'mutations did produce malformed files');
    });
  }
});

async function streamOutcome(bytes: Uint8Array, chunk: number): Promise<CapturedFrame[] | CaptureFormatError> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(Buffer.from(bytes.subarray(i, i + chunk)));
  const got: CapturedFrame[] = [];
  try {
    const stream = await openCaptureStream(Readable.from(chunks));
    for await (const f of stream.frames) got.push(f);
    return got;
  } catch (e) {
    if (e instanceof CaptureFormatError) return e;
    throw e;
  }
}

describe('streaming reader under mutation', () => {
  it('µs pcap mutants: the stream yields what the whole-file reader reads, or a CaptureFormatError', async () => {
    const rng = new Prng(0x57e4);
    const original = readSample('malformed.pcap');
    let failures = 0;
    for (let i = 0; i < 300; i++) {
      const m = mutate(rng, original);
      const whole = readOrFormatError(m);
      const streamed = await streamOutcome(m, rng.int(16, 700));
      if (whole instanceof CaptureFormatError) {
        failures++;
        assert.ok(streamed instanceof CaptureFormatError, `mutant ${i}: the stream accepted what the file reader refused (${whole.message})`);
      } else {
        assert.ok(!(streamed instanceof CaptureFormatError), `mutant ${i}: the stream refused a readable file: ${String(streamed)}`);
        assert.deepEqual(streamed, whole.frames, `mutant ${i}`);
      }
    }
    assert.ok(failures > 0);
  });
});
