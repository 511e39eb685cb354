/**
 * The kernel oracle reads classic libpcap files (LINKTYPE_ETHERNET). These adapt other inputs, frames in
 * memory or a pcapng file, through the data plane's capture module into a temporary classic pcap.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePcap, readCapture, requireEthernet, sniffCaptureFormat } from '../dataplane/capture/index.js';

/* Large enough that no frame the kernel can take (linear part + MAX_SKB_FRAGS pages) is cut. */
const SNAPLEN = 262144;

/** A classic pcap of `frames`, one per second from the epoch: timestamps only need to be ordered. */
export function encodeClassicPcap(frames: readonly Uint8Array[]): Uint8Array {
  return encodePcap(
    frames.map((data, i) => ({ data, tsNs: BigInt(i) * 1_000_000_000n })),
    { snaplen: SNAPLEN },
  );
}

/** Runs `use` with a temporary classic pcap of `frames`, removed afterwards. */
export async function withTemporaryPcap<T>(frames: readonly Uint8Array[], use: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'xdpjit-oracle-'));
  try {
    const path = join(dir, 'frames.pcap');
    await writeFile(path, encodeClassicPcap(frames));
    return await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `use` with `capturePath` itself when it is a classic pcap, else with a classic copy of its frames. */
export async function withClassicPcap<T>(capturePath: string, use: (path: string) => Promise<T>): Promise<T> {
  const bytes = await readFile(capturePath);
  if (sniffCaptureFormat(bytes) === 'pcap') return use(capturePath);
  const capture = requireEthernet(readCapture(bytes));
  return withTemporaryPcap(capture.frames.map((f) => f.data), use);
}
