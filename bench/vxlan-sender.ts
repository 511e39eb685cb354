/**
 * stream-mpps.ts's VXLAN source: a worker thread sending RFC 7348 datagrams (vxlan.ts's encapsulate) over
 * loopback UDP as fast as the socket takes them for `seconds`, then posting how many it sent. Sends are
 * kept at most WINDOW outstanding so the socket's queue, not this thread's memory, sets the pace.
 */
import dgram from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import { encapsulate } from '../src/dataplane/vxlan.js';

export interface VxlanSenderInit { readonly port: number; readonly vni: number; readonly frames: readonly Uint8Array[]; readonly seconds: number }

const WINDOW = 64;
const { port, vni, frames, seconds } = workerData as VxlanSenderInit;
const datagrams = frames.map((f) => encapsulate(vni, f));
const socket = dgram.createSocket('udp4');
const stopAt = performance.now() + seconds * 1000;
let sent = 0, outstanding = 0, i = 0;

function pump(): void {
  while (outstanding < WINDOW && performance.now() < stopAt) {
    outstanding++;
    socket.send(datagrams[i]!, port, '127.0.0.1', () => { outstanding--; sent++; pump(); });
    i = (i + 1) % datagrams.length;
  }
  if (outstanding === 0 && performance.now() >= stopAt) socket.close(() => parentPort!.postMessage(sent));
}
pump();
