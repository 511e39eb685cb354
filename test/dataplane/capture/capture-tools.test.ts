/**
 * Agreement with tcpdump (libpcap) on every generated capture, the streaming reader (including a real
 * `tcpdump -w -` pipe), the writer's output opening in tcpdump, and the generator's determinism.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  CaptureFormatError, FileSink, PcapWriter, openCaptureStream, readCapture, type CapturedFrame,
} from '../../../src/dataplane/capture/index.js';
import { generateCaptures } from '../../../pcaps/generate.js';
import { PCAPS_DIR, readSample, samplePath } from './sample-captures.js';

const tcpdump = spawnSync('tcpdump', ['--version'], { encoding: 'utf8' });
const noTcpdump = tcpdump.error || tcpdump.status !== 0 ? 'tcpdump is not installed' : undefined;

function tcpdumpCount(path: string): { count: number; ok: boolean } {
  const r = spawnSync('tcpdump', ['-nr', path], { encoding: 'utf8', maxBuffer: 64 << 20 });
  // One line per packet; hex dumps of unknown payloads follow on lines indented with a tab.
  return { count: r.stdout.split('\n').filter((l) => l.length > 0 && !/^\s/.test(l)).length, ok: r.status === 0 };
}

async function collect(frames: AsyncIterable<CapturedFrame>): Promise<CapturedFrame[]> {
  const out: CapturedFrame[] = [];
  for await (const f of frames) out.push(f);
  return out;
}

const captureFiles = readdirSync(PCAPS_DIR).filter((n) => n.endsWith('.pcap') || n.endsWith('.pcapng')).sort();

describe('tcpdump agreement', () => {
  for (const name of captureFiles) {
    it(`${name}: same frame count as tcpdump -r`, (t) => {
      if (noTcpdump) return t.skip(noTcpdump);
      const ours = readCapture(readSample(name));
      const theirs = tcpdumpCount(samplePath(name));
      if (name === 'linktypes.pcapng') {
        // libpcap refuses interfaces of differing link types; xdpjit reads the file and refuses it in requireEthernet.
        assert.equal(theirs.count, 0);
        return;
      }
      assert.ok(theirs.ok, `tcpdump read ${name}`);
      assert.equal(ours.frames.length, theirs.count);
    });
  }
});

describe('streaming reader', () => {
  it('µs pcap from a file stream (pcap-parser path) equals the whole-file reader', async () => {
    const whole = readCapture(readSample('mixed.pcap'));
    const stream = await openCaptureStream(createReadStream(samplePath('mixed.pcap'), { highWaterMark: 1000 }));
    assert.equal(stream.linkType, 1);
    const frames = await collect(stream.frames);
    assert.deepEqual(frames, whole.frames);
  });

  it('big-endian µs pcap, ns pcap and pcapng streams', async () => {
    const whole = readCapture(readSample('mixed.pcap'));
    for (const name of ['mixed.be.pcap', 'mixed.ns.pcap', 'mixed.pcapng']) {
      const frames = await collect((await openCaptureStream(createReadStream(samplePath(name)))).frames);
      assert.equal(frames.length, whole.frames.length, name);
      frames.forEach((f, i) => assert.deepEqual(f.data, whole.frames[i]!.data));
    }
  });

  it('a stream cut inside a record fails with CaptureFormatError after the whole records', async () => {
    const bytes = readSample('mixed.pcap');
    const whole = readCapture(bytes);
    const cut = 24 + 16 + whole.frames[0]!.data.length + 16 + 5;
    const stream = await openCaptureStream(Readable.from([Buffer.from(bytes.subarray(0, cut))]));
    const got: CapturedFrame[] = [];
    await assert.rejects(async () => { for await (const f of stream.frames) got.push(f); }, CaptureFormatError);
    assert.equal(got.length, 1);
  });

  it('a stream too short for a header is a CaptureFormatError', async () => {
    await assert.rejects(openCaptureStream(Readable.from([Buffer.from(readSample('mixed.pcap').subarray(0, 10))])), CaptureFormatError);
    await assert.rejects(openCaptureStream(Readable.from([Buffer.alloc(0)])), CaptureFormatError);
  });

  it('reads a live tcpdump pipe', async (t) => {
    if (noTcpdump) return t.skip(noTcpdump);
    const child = spawn('tcpdump', ['-r', samplePath('mixed.pcap'), '-w', '-'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const frames = await collect((await openCaptureStream(child.stdout)).frames);
    assert.equal(frames.length, readCapture(readSample('mixed.pcap')).frames.length);
  });
});

describe('writer', () => {
  it('µs and ns files written by PcapWriter open in tcpdump and read back', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'xdpjit-pcapw-'));
    try {
      const frames = readCapture(readSample('malformed.ns.pcap')).frames;
      for (const precision of ['us', 'ns'] as const) {
        const path = join(dir, `out.${precision}.pcap`);
        const sink = new FileSink(path);
        const writer = new PcapWriter(sink, { precision });
        for (const f of frames) writer.write(f);
        sink.close();
        const back = readCapture(new Uint8Array(execFileSync('cat', [path])));
        assert.equal(back.frames.length, frames.length);
        back.frames.forEach((f, i) => {
          assert.deepEqual(f.data, frames[i]!.data);
          assert.equal(f.wireLen, frames[i]!.wireLen);
          assert.equal(f.tsNs, precision === 'ns' ? frames[i]!.tsNs : (frames[i]!.tsNs / 1000n) * 1000n);
        });
        if (noTcpdump) {
          t.diagnostic(`tcpdump check skipped: ${noTcpdump}`);
          continue;
        }
        const td = tcpdumpCount(path);
        assert.ok(td.ok);
        assert.equal(td.count, frames.length);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('generator', () => {
  it('regenerating gives byte-identical captures to the committed ones', () => {
    const generated = generateCaptures();
    assert.deepEqual([...generated.keys()].sort(), captureFiles);
    for (const [name, bytes] of generated) assert.deepEqual(bytes, readSample(name), name);
  });
});
