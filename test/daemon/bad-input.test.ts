import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:net';
import { BIN, DaemonProcess, makeDirs, removeDirs } from './daemon-process.js';

/**
 * POST `size` bytes (with a Content-Length, or chunked) over a raw socket and read the answer the daemon
 * sends before the whole body went out. The client stops sending once it has the answer, as a browser or
 * curl does; write errors after that (EPIPE/ECONNRESET) are not the daemon's answer. A connection that closes
 * with no answer read is 'reset': the daemon's 413 was lost.
 */
function oversizePost(url: string, size: number, chunked = false): Promise<{ status: number; json: any; text: string } | 'reset'> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      const raw = received.toString('latin1');
      const headEnd = raw.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const head = raw.slice(0, headEnd);
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
      const body = received.subarray(headEnd + 4);
      if (!(body.length >= length)) return;
      settled = true;
      sock.destroy();
      const text = body.subarray(0, length).toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), json: JSON.parse(text), text });
    };
    sock.on('data', (c: Buffer) => { received = Buffer.concat([received, c]); finish(); });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    sock.on('close', () => {
      finish();
      if (settled) return;
      if (received.length === 0) { settled = true; resolve('reset'); return; }
      reject(new Error(`connection closed in the middle of an answer: ${received.toString('latin1').slice(0, 200)}`));
    });
    const framing = chunked ? 'transfer-encoding: chunked' : `content-length: ${size}`;
    sock.write(`POST ${pathname} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/octet-stream\r\n${framing}\r\n\r\n`);
    const chunk = new Uint8Array(1 << 20);
    let sent = 0;
    const pump = (): void => {
      while (sent < size && !settled && !sock.destroyed) {
        const n = Math.min(chunk.length, size - sent);
        sent += n;
        const data = chunk.subarray(0, n);
        const more = sock.write(chunked
          ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), data, Buffer.from(sent === size ? '\r\n0\r\n\r\n' : '\r\n')])
          : data);
        if (!more) { sock.once('drain', pump); return; }
      }
    };
    pump();
  });
}

const CODES = new Set(['bad_request', 'not_found', 'conflict', 'verifier_rejected', 'unsupported', 'unauthorized', 'payload_too_large', 'internal']);

function assertError(r: { status: number; json: any; text: string }, status: number, code: string): void {
  assert.equal(r.status, status, r.text);
  assert.ok(r.json && CODES.has(r.json.error), r.text);
  assert.equal(r.json.error, code, r.text);
  assert.equal(typeof r.json.message, 'string');
  assert.ok('detail' in r.json);
}

test('bad inputs get a clear 4xx in the error contract and the daemon keeps serving', async (t) => {
  const dirs = await makeDirs();
  const d = await DaemonProcess.start(dirs);
  t.after(async () => { await d.kill('SIGKILL'); await removeDirs(dirs); });

  const good = await readFile(join(dirs.programs, 'port_firewall.o'));
  assertError(await d.req('POST', '/v1/programs', new Uint8Array([1, 2, 3, 4])), 400, 'bad_request');
  assertError(await d.req('POST', '/v1/programs', good.subarray(0, 300)), 400, 'bad_request');
  const flipped = Uint8Array.from(good);
  flipped[4] = 1; // ELFCLASS32
  assertError(await d.req('POST', '/v1/programs', flipped), 400, 'bad_request');
  const rejected = await d.req('POST', '/v1/programs', { path: 'rejected/ctx_write.o' });
  assertError(rejected, 422, 'verifier_rejected');
  assert.equal(typeof rejected.json.detail.insn, 'number');
  assert.equal(typeof rejected.json.detail.rule, 'string');
  assertError(await d.req('POST', '/v1/programs', { path: '../../etc/passwd' }), 400, 'bad_request');
  assertError(await d.req('POST', '/v1/programs', { path: '/etc/passwd' }), 400, 'bad_request');
  assertError(await d.req('POST', '/v1/programs', { path: 'missing.o' }), 400, 'bad_request');
  assertError(await d.req('POST', '/v1/programs', { nope: 1 }), 400, 'bad_request');
  assertError(await d.req('POST', '/v1/programs', '{"path": '), 400, 'bad_request');
  // Over the 64 MiB limit: refused on the declared length before reading, or while reading a chunked body;
  // the 413 reaches the client either way (the daemon half-closes and drains before closing).
  for (const chunked of [false, true]) {
    const oversize = await oversizePost(d.url + '/v1/programs', 64 * 1024 * 1024 + 1, chunked);
    assert.notEqual(oversize, 'reset', `${chunked ? 'chunked' : 'Content-Length'} upload: the connection closed before the 413 arrived`);
    if (oversize !== 'reset') assertError(oversize, 413, 'payload_too_large');
  }

  const fw = await d.req('POST', '/v1/programs', good);
  assert.equal(fw.status, 201);
  const blocked = fw.json.maps.find((m: { name: string }) => m.name === 'blocked_ports').id;
  assertError(await d.req('GET', '/v1/maps/999/entries'), 404, 'not_found');
  assertError(await d.req('PUT', `/v1/maps/${blocked}/entries/35`, { value: '01' }), 400, 'bad_request');
  assertError(await d.req('PUT', `/v1/maps/${blocked}/entries/3500`, { value: '0100' }), 400, 'bad_request');
  assertError(await d.req('PUT', `/v1/maps/${blocked}/entries/zz00`, { value: '01' }), 400, 'bad_request');
  assertError(await d.req('DELETE', `/v1/maps/${blocked}/entries/3500`), 404, 'not_found');
  assertError(await d.req('PUT', `/v1/maps/${blocked}/entries/3500?flags=exist`, { value: '01' }), 404, 'not_found');
  assert.equal((await d.req('PUT', `/v1/maps/${blocked}/entries/3500?flags=noexist`, { value: '01' })).status, 204);
  assertError(await d.req('PUT', `/v1/maps/${blocked}/entries/3500?flags=noexist`, { value: '01' }), 409, 'conflict');
  assertError(await d.req('PUT', `/v1/maps/${blocked}/entries/3500?flags=sometimes`, { value: '01' }), 400, 'bad_request');

  assertError(await d.req('POST', '/v1/interfaces', { name: 'x', kind: 'tap' }), 400, 'bad_request');
  assertError(await d.req('POST', '/v1/interfaces', { name: 'v0', kind: 'veth' }), 400, 'bad_request');
  assertError(await d.req('POST', '/v1/interfaces', { name: 'x0', kind: 'vxlan', vni: 1, listen: 'nowhere', remote: '127.0.0.1:4789' }), 400, 'bad_request');
  assertError(await d.req('POST', '/v1/interfaces', { name: 'c1', kind: 'pcap', capture: { pass: '../escape.pcap' } }), 400, 'bad_request');
  assertError(await d.req('POST', '/v1/interfaces', { name: 'c1', kind: 'pcap', capture: { tx: '/tmp/x.pcap' } }), 400, 'bad_request');
  assert.equal((await d.req('POST', '/v1/interfaces', { name: 'p0', kind: 'pcap' })).status, 201);
  assertError(await d.req('POST', '/v1/interfaces', { name: 'p0', kind: 'pcap' }), 409, 'conflict');
  assertError(await d.req('PUT', '/v1/interfaces/p0/xdp', { program: '999' }), 404, 'not_found');
  assertError(await d.req('PUT', '/v1/interfaces/p0/xdp', { program: fw.json.id, entry: 'nope' }), 400, 'bad_request');
  assertError(await d.req('PUT', '/v1/interfaces/nope/xdp', { program: fw.json.id }), 404, 'not_found');
  assertError(await d.req('DELETE', '/v1/interfaces/p0/xdp'), 404, 'not_found');
  assertError(await d.req('POST', '/v1/replays', { interface: 'p0', pcap: 'raw.pcap' }), 400, 'bad_request');
  assert.match((await d.req('POST', '/v1/replays', { interface: 'p0', pcap: 'raw.pcap' })).json.message, /LINKTYPE_RAW/);
  assertError(await d.req('POST', '/v1/replays', { interface: 'p0', pcap: '../state/state.json' }), 400, 'bad_request');
  assertError(await d.req('POST', '/v1/replays', { interface: 'nope', pcap: 'mixed.pcap' }), 404, 'not_found');
  assertError(await d.req('GET', '/v1/replays/42'), 404, 'not_found');
  assertError(await d.req('GET', '/v1/nothing-here'), 404, 'not_found');
  assertError(await d.req('PATCH', '/v1/programs'), 404, 'not_found');

  assert.deepEqual((await d.req('GET', '/healthz')).json, { status: 'ok' });
  assert.equal((await d.req('GET', '/v1/programs')).json.length, 1);
});

test('OpenAPI lists every route of the contract; /docs serves Swagger UI', async (t) => {
  const dirs = await makeDirs();
  const d = await DaemonProcess.start(dirs);
  t.after(async () => { await d.kill('SIGKILL'); await removeDirs(dirs); });
  const doc = (await d.req('GET', '/openapi.json')).json;
  assert.equal(doc.openapi, '3.0.3');
  const routes = Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
  for (const r of [
    'POST /v1/programs', 'GET /v1/programs', 'GET /v1/programs/{id}', 'DELETE /v1/programs/{id}',
    'POST /v1/interfaces', 'GET /v1/interfaces', 'DELETE /v1/interfaces/{name}', 'PUT /v1/interfaces/{name}/xdp',
    'DELETE /v1/interfaces/{name}/xdp', 'GET /v1/maps', 'GET /v1/maps/{id}/entries', 'PUT /v1/maps/{id}/entries/{keyHex}',
    'DELETE /v1/maps/{id}/entries/{keyHex}', 'POST /v1/replays', 'GET /v1/replays', 'GET /v1/replays/{id}',
    'DELETE /v1/replays/{id}', 'GET /v1/events', 'GET /metrics', 'GET /healthz',
  ]) assert.ok(routes.includes(r), `${r} missing from /openapi.json`);
  const docs = await fetch(`${d.url}/docs/`);
  assert.equal(docs.status, 200);
  assert.match(await docs.text(), /swagger/i);
});

test('a token guards every /v1 route but not probes; a non-loopback bind without a token is refused', async (t) => {
  const dirs = await makeDirs();
  const d = await DaemonProcess.start(dirs, ['--token', 's3cret']);
  t.after(async () => { await d.kill('SIGKILL'); await removeDirs(dirs); });
  assertError(await d.req('GET', '/v1/programs'), 401, 'unauthorized');
  assertError(await d.req('GET', '/v1/programs', undefined, { authorization: 'Bearer wrong' }), 401, 'unauthorized');
  assert.equal((await d.req('GET', '/v1/programs', undefined, { authorization: 'Bearer s3cret' })).status, 200);
  assert.equal((await d.req('GET', '/healthz')).status, 200);
  assert.equal((await d.req('GET', '/metrics')).status, 200);
  assert.equal((await d.req('GET', '/openapi.json')).status, 200);

  const refused = spawnSync(process.execPath, [BIN, 'serve', '--listen', '0.0.0.0:0'], { env: { ...process.env, XDPJIT_TOKEN: '' } });
  assert.equal(refused.status, 2);
  assert.match(refused.stderr.toString(), /requires a token/);
});
