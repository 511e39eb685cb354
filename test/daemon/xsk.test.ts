/**
 * XSKMAP redirects (design.md §4): frames a program redirects to an XSKMAP slot reach the socket-like consumer
 * attached to that interface queue over `GET /v1/interfaces/{name}/xsk/{queue}` (Server-Sent Events); with
 * no consumer they are counted (xskDropped) and dropped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonProcess, makeDirs, removeDirs } from './daemon-process.js';

interface XskEvent { queue: number; cpu: number; ts: string; len: number; data: string }

/** Collects the events of one xsk stream until aborted. */
async function consume(url: string, ac: AbortController, into: XskEvent[]): Promise<void> {
  const res = await fetch(url, { signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body!.getReader();
  let buf = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += new TextDecoder().decode(value);
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const data = /^data: (.*)$/m.exec(buf.slice(0, i));
          buf = buf.slice(i + 2);
          if (data) into.push(JSON.parse(data[1]!) as XskEvent);
        }
      }
    } catch { /* aborted */ }
  })();
}

test('XSKMAP redirects reach the consumer of their queue over SSE; without a consumer they are counted and dropped', async (t) => {
  const dirs = await makeDirs();
  const d = await DaemonProcess.start(dirs);
  t.after(async () => { await d.kill('SIGKILL'); await removeDirs(dirs); });

  const p = await d.req('POST', '/v1/programs?name=xsk', { path: 'xsk_steer.o' });
  assert.equal(p.status, 201, p.text);
  const xsks = p.json.maps.find((m: { name: string }) => m.name === 'xsks').id;
  // A socket in the slot of each queue (2 workers = 2 RX queues), as an AF_XDP application would insert.
  for (const key of ['00000000', '01000000']) assert.equal((await d.req('PUT', `/v1/maps/${xsks}/entries/${key}`, { value: '01000000' })).status, 204);
  assert.equal((await d.req('POST', '/v1/interfaces', { name: 'p0', kind: 'pcap' })).status, 201);
  assert.equal((await d.req('PUT', '/v1/interfaces/p0/xdp', { program: p.json.id })).status, 200);
  const unknown = await d.req('GET', '/v1/interfaces/nope/xsk/0');
  assert.equal(unknown.status, 404, unknown.text);
  assert.equal((await d.req('GET', '/v1/interfaces/p0/xsk/-1')).status, 400);

  const events: XskEvent[] = [];
  const ac = new AbortController();
  await consume(`${d.url}/v1/interfaces/p0/xsk/0`, ac, events);
  await consume(`${d.url}/v1/interfaces/p0/xsk/1`, ac, events);
  const rep = await d.req('POST', '/v1/replays', { interface: 'p0', pcap: 'mixed.pcap' });
  assert.equal((await d.waitReplay(rep.json.id)).state, 'done');
  const redirected = await d.metricSum('xdpjit_packets_total', { interface: 'p0', action: 'redirect' });
  assert.ok(redirected > 0, 'the capture has UDP frames to port 4242');
  for (let i = 0; i < 200 && events.length < redirected; i++) await new Promise((r) => setTimeout(r, 25));
  ac.abort();
  assert.equal(events.length, redirected, 'every redirected frame reached a consumer');
  for (const e of events) {
    assert.equal(e.queue, e.cpu, 'key = rx_queue_index = the worker that ran it');
    assert.equal(e.data.length, e.len * 2);
    assert.ok(e.data.includes('1092'), 'UDP destination port 4242 is in the frame');
  }
  let counters = (await d.req('GET', '/v1/interfaces')).json[0].counters;
  assert.equal(counters.xskPackets, redirected);
  assert.equal(counters.xskDropped, 0);

  // No consumer any more: the same frames are counted and dropped.
  for (let i = 0; i < 100 && (await d.req('GET', '/v1/interfaces')).json[0].counters.xskPackets !== redirected; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100)); // the daemon sees both streams close
  const again = await d.req('POST', '/v1/replays', { interface: 'p0', pcap: 'mixed.pcap' });
  assert.equal((await d.waitReplay(again.json.id)).state, 'done');
  for (let i = 0; i < 100; i++) {
    counters = (await d.req('GET', '/v1/interfaces')).json[0].counters;
    if (counters.xskDropped === redirected) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(counters.xskDropped, redirected);
  assert.equal(counters.xskPackets, redirected);
  assert.equal(events.length, redirected);
});
