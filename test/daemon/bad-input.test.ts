import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'node:http';
import { BIN, DaemonProcess, makeDirs, removeDirs } from './daemon-process.js';

/**
 * POST `size` bytes and read the answer even when the daemon answers (413) and closes before the whole body
 * went out: the write side may then fail with EPIPE/ECONNRESET, which is not the daemon's answer.
 */
function oversizePost(url: string, size: number): Promise<{ status: number; json: any; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': size } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text), text }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err); });
    const chunk = new Uint8Array(1 << 20);
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        const n = Math.min(chunk.length, size - sent);
        sent += n;
        if (!req.write(chunk.subarray(0, n))) { req.once('drain', pump); return; }
      }
      req.end();
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
  assertError(await oversizePost(d.url + '/v1/programs', 64 * 1024 * 1024 + 1), 413, 'payload_too_large');

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
