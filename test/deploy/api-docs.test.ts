/**
 * docs/api.md documents every route the daemon serves (compared with a running daemon's /openapi.json;
 * scripts/gen-api-docs.sh regenerates it), the renderer's output for a small document, and the program
 * guide's generated helper table matches src/ebpf/helpers.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELPERS } from '../../src/ebpf/helpers.js';
import { startDaemon } from './daemon-metrics.js';
import { withHelperTable } from './helper-table-markdown.js';
import { operationsOf, renderOpenApiMarkdown, type OpenApiDocument } from './openapi-markdown.js';
import { REPO } from './repo-files.js';

test('docs/api.md has a section for every operation of the daemon\'s /openapi.json', async (t) => {
  let d;
  try {
    d = await startDaemon();
  } catch (err) {
    t.skip(`daemon cannot start here: ${(err as Error).message}`);
    return;
  }
  let doc: OpenApiDocument;
  try {
    doc = (await (await fetch(`${d.url}/openapi.json`)).json()) as OpenApiDocument;
  } finally {
    await d.stop();
  }
  const md = readFileSync(join(REPO, 'docs', 'api.md'), 'utf8');
  const documented = new Set([...md.matchAll(/^### ([A-Z]+ \S+)$/gm)].map((m) => m[1]!));
  const served = operationsOf(doc);
  const missing = served.filter((o) => !documented.has(o));
  const stale = [...documented].filter((o) => !served.includes(o));
  assert.deepEqual({ missing, stale }, { missing: [], stale: [] }, 'docs/api.md is out of date: run scripts/gen-api-docs.sh');
});

test('renderer: parameters, flattened body fields, conditional requirements, auth by route, errors by $ref', () => {
  const doc: OpenApiDocument = {
    openapi: '3.0.3',
    info: { title: 't', version: '1' },
    components: { schemas: { Error: { type: 'object', required: ['error'], properties: { error: { type: 'string', enum: ['not_found'] } } } } },
    paths: {
      '/v1/things/{id}': {
        put: {
          tags: ['things'],
          summary: 'Put a thing',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', minLength: 1 } }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object', required: ['kind'],
                  properties: { kind: { type: 'string', enum: ['a', 'b'] }, chain: { type: 'array', items: { type: 'object', properties: { program: { type: 'string', description: 'id | name' } } } } },
                  allOf: [{ if: { properties: { kind: { enum: ['b'] } } }, then: { required: ['chain'] } }],
                },
              },
            },
          },
          responses: { '404': { description: 'x', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }, '204': { description: 'done' } },
        },
      },
      '/healthz': { get: { responses: { '200': { description: 'ok' } } } },
    },
  };
  const md = renderOpenApiMarkdown(doc, 'a test document');
  assert.match(md, /^### PUT \/v1\/things\/\{id\}$/m);
  assert.match(md, /\| `id` \| path \| string \| yes \| length ≥ 1 \|/);
  assert.match(md, /\| `kind` \| string \| yes \| one of `"a"`, `"b"` \|/);
  assert.match(md, /\| `chain\[\]\.program` \| string \|  \| id \\\| name \|/);
  assert.match(md, /required when kind is `b`: `chain`/);
  assert.match(md, /- \*\*404\*\* `application\/json` — x — an \[error\]\(#errors\)/);
  assert.ok(md.indexOf('**204**') < md.indexOf('**404**'), 'responses in status order');
  assert.match(md, /### PUT[^#]*Auth: `Authorization: Bearer/);
  assert.match(md, /### GET \/healthz\n\nAuth: none/);
  assert.deepEqual(operationsOf(doc), ['PUT /v1/things/{id}', 'GET /healthz']);
  const refDoc: OpenApiDocument = { ...doc, paths: { '/x': { get: { responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Gone' } } } } } } } } };
  assert.throws(() => renderOpenApiMarkdown(refDoc, 'x'), /GET \/x 200: unresolvable \$ref #\/components\/schemas\/Gone/);
  const alt: OpenApiDocument = { ...doc, paths: { '/v1/m': { put: { requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { value: { type: 'string' }, values: { type: 'array', items: { type: 'string' } } }, oneOf: [{ required: ['value'] }, { required: ['values'] }] } } } }, responses: {} } } } };
  const altMd = renderOpenApiMarkdown(alt, 'x');
  assert.match(altMd, /\| `values` \| string\[\] \|/);
  assert.match(altMd, /- exactly one of: `value`, `values`/);
});

test('docs/program-guide.md lists today\'s helper table (src/ebpf/helpers.ts)', () => {
  const guide = readFileSync(join(REPO, 'docs', 'program-guide.md'), 'utf8');
  assert.equal(guide, withHelperTable(guide), 'the helper table is stale: run scripts/gen-api-docs.sh');
  for (const h of HELPERS) assert.match(guide, new RegExp(`\\| ${h.id} \\| \`bpf_${h.name}\` \\|`));
});
