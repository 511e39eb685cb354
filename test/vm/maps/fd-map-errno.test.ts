/**
 * Errors of userspace writes into PROG_ARRAY, XSKMAP, DEVMAP and DEVMAP_HASH (a `--maps` line each) against
 * the kernel: the same fill through the kernel oracle (bpf_map_update_elem, BPF_ANY) and through xdpjit's
 * maps (applyMapLines) must fail with the same errno or both succeed. Index past the end (E2BIG), values that
 * cannot be a file descriptor (EBADF: bpf_prog_get / sockfd_lookup), a devmap program without an ifindex and
 * a DEVMAP_HASH ifindex 0 (EINVAL). The xdpjit side always runs; the kernel side skips without the oracle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseObject } from '../../../src/ebpf/loader.js';
import { Arena } from '../../../src/vm/arena.js';
import { Runtime } from '../../../src/vm/runtime/runtime.js';
import { MapsFileError, applyMapLines, parseMapsText } from '../../../src/vm/maps-file.js';
import { KernelOracleError, encodeClassicPcap, kernelAvailable, runKernel } from '../../../src/oracle/index.js';

const PROGRAMS = fileURLToPath(new URL('../../../../programs/', import.meta.url));

/** strerror(3) texts the oracle prints, by the errno names xdpjit prints. */
const STRERROR: Readonly<Record<string, string>> = {
  E2BIG: 'Argument list too long', EBADF: 'Bad file descriptor', EINVAL: 'Invalid argument',
};

/** [object, maps line, errno name or 'ok']. */
const CASES: readonly (readonly [string, string, string])[] = [
  ['tail_dispatch.o', 'jmp_table 04000000 @handle_tcp', 'E2BIG'],
  ['tail_dispatch.o', 'jmp_table 00000000 ffffffff', 'EBADF'],
  ['tail_dispatch.o', 'jmp_table 00000000 f0ffff7f', 'EBADF'],
  ['tail_dispatch.o', 'jmp_table 00000000 @handle_udp', 'ok'],
  ['xsk_steer.o', 'xsks 04000000 03000000', 'E2BIG'],
  ['xsk_steer.o', 'xsks 00000000 ffffffff', 'EBADF'],
  ['devmap_flood.o', 'flood_ports 04000000 0100000000000000', 'E2BIG'],
  ['devmap_flood.o', 'flood_ports 00000000 0000000005000000', 'EINVAL'],
  ['devmap_flood.o', 'flood_ports 00000000 01000000ffffffff', 'ok'],
  ['devmap_flood.o', 'flood_hash 00000000 0000000000000000', 'EINVAL'],
];

function xdpjitErrno(obj: string, line: string): string {
  const spec = parseObject(readFileSync(join(PROGRAMS, obj)));
  const rt = Runtime.load(Arena.create({ maxBytes: 32 << 20, cpus: 1 }), spec);
  try {
    applyMapLines(rt, spec, parseMapsText(line, 'case'));
    return 'ok';
  } catch (err) {
    if (!(err instanceof MapsFileError)) throw err;
    const m = /updating \S+: (E[A-Z0-9]+)/.exec(err.message);
    assert.ok(m, `unexpected refusal: ${err.message}`);
    return m[1]!;
  }
}

test('xdpjit refuses bad PROG_ARRAY / XSKMAP / DEVMAP writes with the kernel\'s errno', () => {
  for (const [obj, line, want] of CASES) assert.equal(xdpjitErrno(obj, line), want, `${obj}: ${line}`);
});

test('the kernel gives the same errno for the same writes (oracle)', async (t) => {
  const k = await kernelAvailable();
  if (!k.ok) {
    t.skip(`kernel oracle unavailable: ${k.reason}`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'xdpjit-fd-errno-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pcap = join(dir, 'one.pcap');
  const frame = new Uint8Array(64);
  frame.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06]);
  await writeFile(pcap, encodeClassicPcap([frame]));
  for (const [n, [obj, line, want]] of CASES.entries()) {
    const mapsFile = join(dir, `case${n}.maps`);
    await writeFile(mapsFile, `${line}\n`);
    let got = 'ok';
    try {
      await runKernel(join(PROGRAMS, obj), pcap, { mapsFile });
    } catch (err) {
      if (!(err instanceof KernelOracleError)) throw err;
      const name = Object.keys(STRERROR).find((e) => err.message.includes(`: ${STRERROR[e]}`));
      assert.ok(name, `unexpected oracle failure: ${err.message}`);
      got = name;
    }
    assert.equal(got, want, `kernel ${k.kernel}, ${obj}: ${line}`);
  }
});
