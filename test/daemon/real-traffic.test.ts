/**
 * Real traffic through the daemon (issue 6): two network namespaces, each holding a Linux vxlan device
 * (RFC 7348) whose UDP underlay stays on the host's loopback (a vxlan device moved into another namespace
 * keeps its socket in the namespace it was created in), tunnel to the daemon's two `vxlan` interfaces. A
 * cross-connect program on the daemon redirects between them, so the namespaces see one Ethernet link:
 * `ping` and a UDP flow pass; a firewall build of the same program, attached over the API, drops the flow;
 * the daemon's counters equal what was sent. No ARP (static neighbours) and no IPv6 in the namespaces, so
 * nothing else crosses the link. Addresses used: 127.0.0.1 and 10.201.0.0/24 inside the test's namespaces. Local bypass is turned off
 * on the vxlan devices (fixtures/vxlan-nolocalbypass.py), or Linux would not send UDP to a local VTEP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { execFileSync, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonProcess, makeDirs, removeDirs, REPO } from './daemon-process.js';

const VNI = 100;
const ADDR_A = '10.201.0.1';
const ADDR_B = '10.201.0.2';
const UDP_PORT = 5555;
const FLOW = 50;
/** Every command this test runs is bounded: a hung `ip` or `ping` cannot keep the test alive. */
const CMD_TIMEOUT_MS = 10_000;
/** Creates a vxlan device with local bypass off (see the script for why iproute2 cannot). */
const VXLAN_TOOL = join(REPO, 'test', 'daemon', 'fixtures', 'vxlan-nolocalbypass.py');

function sh(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: CMD_TIMEOUT_MS }).toString();
}

function tryRun(cmd: string, args: readonly string[]): string | null {
  try { sh(cmd, args); return null; } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    return (e.stderr?.toString().trim() || e.message).split('\n')[0]!;
  }
}

/** Why the machine cannot run this test, or null when it can. */
function skipReason(scratch: string): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, vxlan devices)';
  for (const [cmd, args] of [['ip', ['-V']], ['bridge', ['-V']], ['ping', ['-V']], ['clang-16', ['--version']], ['python3', ['-V']]] as const) {
    if (tryRun(cmd, args) !== null) return `'${cmd}' is not available`;
  }
  const ns = tryRun('ip', ['netns', 'add', scratch]);
  if (ns !== null) return `cannot create a network namespace: ${ns}`;
  tryRun('ip', ['netns', 'del', scratch]);
  // The probe device lives a moment in the root namespace, where the test's devices are created too.
  const vx = tryRun('python3', [VXLAN_TOOL, scratch, '1', '0', '127.0.0.1']);
  if (vx !== null) return `cannot create a vxlan device with local bypass off (vxlan module, Linux >= 6.6?): ${vx}`;
  tryRun('ip', ['link', 'del', scratch]);
  return null;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Builds the cross-connect between the daemon's two ifindexes; `blockUdpPort` makes it the firewall. */
function buildXconnect(out: string, portA: number, portB: number, blockUdpPort?: number): Promise<Buffer> {
  sh('clang-16', ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-I/usr/include/x86_64-linux-gnu', `-I${join(REPO, 'programs')}`,
    `-DPORT_A=${portA}`, `-DPORT_B=${portB}`, ...(blockUdpPort !== undefined ? [`-DBLOCK_UDP_PORT=${blockUdpPort}`] : []),
    '-c', join(REPO, 'test', 'daemon', 'fixtures', 'xconnect.c'), '-o', out]);
  return readFile(out);
}

/** Counts UDP datagrams arriving at ADDR_B:UDP_PORT inside `ns` until 1 s passes without one (at most 8 s). */
function startReceiver(ns: string): { ready: Promise<void>; count: Promise<number> } {
  const script = `const s=require('dgram').createSocket('udp4');let n=0,t;const done=()=>{console.log('count '+n);process.exit(0)};
s.on('message',()=>{n++;clearTimeout(t);t=setTimeout(done,1000)});
s.bind(${UDP_PORT},'${ADDR_B}',()=>{console.log('ready');t=setTimeout(done,3000)});setTimeout(done,8000);`;
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], timeout: CMD_TIMEOUT_MS });
  let out = '';
  let onReady: () => void;
  const ready = new Promise<void>((r) => { onReady = r; });
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); if (out.includes('ready')) onReady(); });
  const count = new Promise<number>((resolve, reject) => child.once('exit', () => {
    const m = /count (\d+)/.exec(out);
    if (m) resolve(Number(m[1])); else reject(new Error(`receiver in ${ns} printed no count: ${out}`));
  }));
  return { ready, count };
}

/** Sends FLOW datagrams from ADDR_A to ADDR_B:UDP_PORT inside `ns`, paced so no socket buffer overflows. */
function sendFlow(ns: string): void {
  const script = `const s=require('dgram').createSocket('udp4');let i=0;
s.bind(0,'${ADDR_A}',()=>{const next=()=>{if(i===${FLOW})return s.close();s.send(Buffer.alloc(100,i++),${UDP_PORT},'${ADDR_B}',()=>setTimeout(next,2))};next()});`;
  sh('ip', ['netns', 'exec', ns, process.execPath, '-e', script]);
}

async function settle<T>(read: () => Promise<T>, want: T, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const got = await read();
    if (got === want || Date.now() > end) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('Linux vxlan devices in two namespaces talk through the daemon: ping and UDP pass the cross-connect, the firewall drops the flow, counters match', async (t) => {
  const tag = `xjt${process.pid % 100000}`;
  const reason = skipReason(`${tag}probe`);
  if (reason) { t.skip(reason); return; }

  const nsA = `${tag}a`, nsB = `${tag}b`;
  const devA = `${tag}va`, devB = `${tag}vb`;
  const dirs = await makeDirs();
  t.after(async () => {
    // Deleting a namespace deletes the vxlan device moved into it; the root-namespace deletes cover a
    // failure before the move. Each step is bounded and may fail harmlessly.
    for (const args of [['netns', 'del', nsA], ['netns', 'del', nsB], ['link', 'del', devA], ['link', 'del', devB]]) tryRun('ip', args);
    await removeDirs(dirs);
  });
  const d = await DaemonProcess.start(dirs);
  t.after(() => d.kill('SIGKILL'));

  const [linuxA, linuxB, daemonA, daemonB] = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort(), await freeUdpPort()];
  const ifA = await d.req('POST', '/v1/interfaces', { name: 'vxa', kind: 'vxlan', vni: VNI, listen: `127.0.0.1:${daemonA}`, remote: `127.0.0.1:${linuxA}` });
  const ifB = await d.req('POST', '/v1/interfaces', { name: 'vxb', kind: 'vxlan', vni: VNI, listen: `127.0.0.1:${daemonB}`, remote: `127.0.0.1:${linuxB}` });
  assert.equal(ifA.status, 201, ifA.text);
  assert.equal(ifB.status, 201, ifB.text);

  for (const [ns, dev, linuxPort, daemonPort, addr] of [[nsA, devA, linuxA, daemonA, ADDR_A], [nsB, devB, linuxB, daemonB, ADDR_B]] as const) {
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    sh('python3', [VXLAN_TOOL, dev, String(VNI), String(linuxPort), '127.0.0.1']);
    sh('bridge', ['fdb', 'append', '00:00:00:00:00:00', 'dev', dev, 'dst', '127.0.0.1', 'port', String(daemonPort)]);
    sh('ip', ['link', 'set', dev, 'netns', ns]);
    sh('ip', ['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev]);
    sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
  }
  const mac = (ns: string, dev: string): string => JSON.parse(sh('ip', ['-j', '-n', ns, 'link', 'show', 'dev', dev]))[0].address;
  sh('ip', ['-n', nsA, 'neigh', 'add', ADDR_B, 'lladdr', mac(nsB, devB), 'dev', devA, 'nud', 'permanent']);
  sh('ip', ['-n', nsB, 'neigh', 'add', ADDR_A, 'lladdr', mac(nsA, devA), 'dev', devB, 'nud', 'permanent']);

  const xc = await d.req('POST', '/v1/programs?name=xconnect', await buildXconnect(join(dirs.root, 'xconnect.o'), ifA.json.ifindex, ifB.json.ifindex));
  assert.equal(xc.status, 201, xc.text);
  for (const ifname of ['vxa', 'vxb']) assert.equal((await d.req('PUT', `/v1/interfaces/${ifname}/xdp`, { program: xc.json.id })).status, 200);

  const packets = (iface: string, action: string, program?: string) =>
    d.metricSum('xdpjit_packets_total', { interface: iface, action, ...(program ? { program } : {}) });

  // ping: 3 echo requests A→B and 3 replies B→A, each redirected once by the daemon.
  const ping = tryRun('ip', ['netns', 'exec', nsA, 'ping', '-c', '3', '-i', '0.2', '-W', '2', ADDR_B]);
  assert.equal(ping, null, `ping failed; daemon interfaces: ${(await d.req('GET', '/v1/interfaces')).text}\n${d.stderr}`);
  assert.equal(await settle(() => packets('vxa', 'redirect'), 3), 3);
  assert.equal(await settle(() => packets('vxb', 'redirect'), 3), 3);

  // The UDP flow crosses.
  let rx = startReceiver(nsB);
  await rx.ready;
  sendFlow(nsA);
  assert.equal(await rx.count, FLOW, 'every datagram of the flow arrived');
  assert.equal(await settle(() => packets('vxa', 'redirect'), 3 + FLOW), 3 + FLOW);
  assert.equal(await packets('vxb', 'redirect'), 3, 'nothing but the ping replies came back');
  const vxb = (await d.req('GET', '/v1/interfaces')).json.find((i: { name: string }) => i.name === 'vxb');
  assert.equal(vxb.counters.txPackets, 3 + FLOW, 'vxb transmitted what vxa redirected to it');

  // The firewall build replaces the cross-connect on vxa over the API: the flow is dropped, ping still passes.
  const fw = await d.req('POST', '/v1/programs?name=xconnect_fw', await buildXconnect(join(dirs.root, 'xconnect-fw.o'), ifA.json.ifindex, ifB.json.ifindex, UDP_PORT));
  assert.equal(fw.status, 201, fw.text);
  assert.equal((await d.req('PUT', '/v1/interfaces/vxa/xdp', { program: fw.json.id })).status, 200);
  rx = startReceiver(nsB);
  await rx.ready;
  sendFlow(nsA);
  assert.equal(await rx.count, 0, 'the firewall dropped the flow');
  assert.equal(await settle(() => packets('vxa', 'drop', 'xconnect_fw'), FLOW), FLOW);
  assert.match(sh('ip', ['netns', 'exec', nsA, 'ping', '-c', '1', '-W', '2', ADDR_B]), /1 received/);
  assert.equal(await settle(() => packets('vxa', 'redirect', 'xconnect_fw'), 1), 1);
  assert.equal(await packets('vxa', 'redirect', 'xconnect'), 0, 'series of the replaced program are gone');
});
