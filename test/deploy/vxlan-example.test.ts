/**
 * The VXLAN example (deploy/vxlan/) on loopback: the daemon runs its own config file, with the container
 * addresses swapped for loopback UDP ports, and two UDP sockets play alice's and bob's Linux vxlan devices.
 * A frame from alice (VNI 100) must leave towards bob (VNI 200) with the same bytes and vice versa; TCP to
 * port 23 must be dropped on the way. And the example's committed object is what its source builds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decapsulate, encapsulate } from '../../src/dataplane/vxlan.js';
import { startDaemon } from './daemon-metrics.js';
import { REPO } from './repo-files.js';

interface VxlanSpec { name: string; kind: 'vxlan'; vni: number; listen: string; remote: string }
interface ExampleConfig { programsDir: string; interfaces: VxlanSpec[]; attachments: { interface: string; program: string }[] }

async function socket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

/** Ethernet + IPv4 + TCP SYN to `port`, or an ARP request when `port` is null. */
function frame(port: number | null): Uint8Array {
  const eth = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1];
  if (port === null) {
    return Uint8Array.from([...eth, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1, 0x02, 0, 0, 0, 0, 1, 10, 10, 0, 1, 0, 0, 0, 0, 0, 0, 10, 10, 0, 2, ...new Array(18).fill(0)]);
  }
  const ip = [0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 10, 0, 1, 10, 10, 0, 2];
  const tcp = [0x30, 0x39, port >> 8, port & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];
  return Uint8Array.from([...eth, 0x08, 0x00, ...ip, ...tcp, 0, 0, 0, 0, 0, 0]);
}

function nextDatagram(s: dgram.Socket, timeoutMs: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { s.off('message', on); resolve(null); }, timeoutMs);
    const on = (m: Buffer): void => { clearTimeout(timer); resolve(m); };
    s.once('message', on);
  });
}

test('deploy/vxlan: the daemon cross-connects alice and bob and drops port 23', async (t) => {
  const example = JSON.parse(readFileSync(join(REPO, 'deploy', 'vxlan', 'xdpjit.json'), 'utf8')) as ExampleConfig;
  assert.equal(example.interfaces.length, 2);
  const peers = [await socket(), await socket()];
  const daemonSide = [await socket(), await socket()];
  // Free ports for the daemon's two listeners: bind, note, release.
  const listens = daemonSide.map((s) => s.address().port);
  await Promise.all(daemonSide.map((s) => new Promise<void>((r) => s.close(() => r()))));
  t.after(() => peers.forEach((p) => p.close()));
  const dir = mkdtempSync(join(tmpdir(), 'xdpjit-vxlan-example-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cfg: ExampleConfig = {
    ...example,
    programsDir: join(REPO, 'deploy', 'vxlan', example.programsDir),
    interfaces: example.interfaces.map((i, k) => ({ ...i, listen: `127.0.0.1:${listens[k]}`, remote: `127.0.0.1:${peers[k]!.address().port}` })),
  };
  const cfgFile = join(dir, 'xdpjit.json');
  writeFileSync(cfgFile, JSON.stringify(cfg));
  let d;
  try {
    d = await startDaemon(cfgFile);
  } catch (err) {
    t.skip(`daemon cannot start here: ${(err as Error).message}`);
    return;
  }
  t.after(() => d.stop());
  const ifs = (await (await fetch(`${d.url}/v1/interfaces`)).json()) as { name: string; ifindex: number; attachment?: unknown }[];
  for (const [k, spec] of cfg.interfaces.entries()) {
    const found = ifs.find((i) => i.name === spec.name);
    assert.ok(found, `interface ${spec.name} from the example config exists`);
    assert.equal(found.ifindex, k + 1, 'xconnect.o relies on ifindex 1 and 2 in config order');
  }
  const [vniA, vniB] = cfg.interfaces.map((i) => i.vni) as [number, number];
  for (const [from, to, vniIn, vniOut] of [[0, 1, vniA, vniB], [1, 0, vniB, vniA]] as const) {
    const f = frame(null);
    const arrived = nextDatagram(peers[to]!, 5000);
    peers[from]!.send(encapsulate(vniIn, f), listens[from]!, '127.0.0.1');
    const got = await arrived;
    assert.ok(got, `frame from side ${from} reached side ${to}`);
    const p = decapsulate(got);
    assert.equal(p.vni, vniOut);
    assert.deepEqual([...p.frame], [...f]);
  }
  const allowed = nextDatagram(peers[1]!, 5000);
  peers[0]!.send(encapsulate(vniA, frame(22)), listens[0]!, '127.0.0.1');
  assert.ok(await allowed, 'TCP to port 22 is forwarded');
  const blocked = nextDatagram(peers[1]!, 500);
  peers[0]!.send(encapsulate(vniA, frame(23)), listens[0]!, '127.0.0.1');
  assert.equal(await blocked, null, 'TCP to port 23 is dropped');
  const metrics = await (await fetch(`${d.url}/metrics`)).text();
  const drops = [...metrics.matchAll(/^xdpjit_packets_total\{interface="vxa",program="xconnect",cpu="\d+",action="drop"\} (\d+)/gm)].reduce((s, m) => s + Number(m[1]), 0);
  assert.equal(drops, 1, 'the drop is counted on vxa');
});

test('deploy/vxlan/programs/xconnect.o is what its Makefile builds from xconnect.c (byte for byte)', (t) => {
  const clang = spawnSync('clang-16', ['--version'], { stdio: 'ignore' });
  if (clang.status !== 0) { t.skip('clang-16 not installed (scripts/install-deps.sh installs it)'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'xdpjit-xconnect-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const src = join(REPO, 'deploy', 'vxlan', 'programs');
  const out = join(dir, 'xconnect.o');
  const make = spawnSync('make', ['-s', '-B', '-C', src, `OUT=${out}`], { encoding: 'utf8' });
  assert.equal(make.status, 0, `make failed: ${make.stderr}`);
  assert.deepEqual(readFileSync(out), readFileSync(join(src, 'xconnect.o')), 'xconnect.o is stale: run make in deploy/vxlan/programs');
});
