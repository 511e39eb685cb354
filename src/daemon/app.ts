/**
 * The fastify application of design.md §6: JSON schema on every route, OpenAPI at /openapi.json, Swagger UI
 * at /docs, bearer-token auth on /v1, errors as {"error","message","detail"}, 64 MiB uploads, pino logs with
 * request ids, SSE events, Prometheus /metrics.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import { ApiError, badRequest } from './api-error.js';
import type { ControlPlane, AttachBody, ReplayBody } from './control-plane.js';
import type { EventBus } from './event-bus.js';
import type { DaemonMetrics } from './metrics.js';
import {
  attachBody, entryBody, entrySchema, errors, errorSchema, idParam, interfaceBody, interfaceSchema, mapSchema,
  nameParam, programSchema, replayBody, replaySchema,
} from './schemas.js';
import type { InterfaceSpec } from '../dataplane/interfaces.js';
import { refuseOversize } from './oversize.js';

export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

export interface AppOptions {
  readonly cp: ControlPlane;
  readonly metrics: DaemonMetrics;
  readonly events: EventBus;
  readonly logger: Logger;
  /** When set, every /v1 route needs `Authorization: Bearer <token>`. */
  readonly token: string | null;
  readonly version: string;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!), b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

let requestSeq = 0;

const TOO_LARGE = { error: 'payload_too_large', message: `request body over ${MAX_UPLOAD_BYTES} bytes`, detail: { limit: MAX_UPLOAD_BYTES } } as const;

export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.logger as FastifyBaseLogger,
    bodyLimit: MAX_UPLOAD_BYTES,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : `req-${(++requestSeq).toString(36)}`;
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
    return503OnClosing: true,
  });
  app.addSchema(errorSchema);
  app.addSchema(programSchema);
  app.addSchema(mapSchema);
  app.addSchema(interfaceSchema);
  app.addSchema(replaySchema);

  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES },
    (_req, body, done) => done(null, body));

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'xdpjit daemon', version: o.version, description: 'XDP programs on virtual interfaces (design.md §6)' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: o.token ? [{ bearer: [] }] : [],
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // A declared length over the limit is refused before any of the body is read (a chunked body over it is
  // refused by the body reader, in the error handler below); either way the 413 is sent so that it arrives.
  app.addHook('onRequest', async (req, reply) => {
    if (Number(req.headers['content-length']) > MAX_UPLOAD_BYTES) {
      reply.hijack();
      refuseOversize(req.raw, TOO_LARGE);
    }
  });

  app.addHook('onRequest', async (req) => {
    if (o.token !== null && req.url.startsWith('/v1') && !tokenMatches(req.headers.authorization, o.token)) {
      throw new ApiError('unauthorized', 'missing or wrong bearer token', null);
    }
  });

  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    if (err instanceof ApiError) {
      if (err.code === 'internal') req.log.error({ err }, err.message);
      return reply.status(err.status).send(err.toJSON());
    }
    if (err.validation) {
      return reply.status(400).send({ error: 'bad_request', message: `invalid request: ${err.message}`, detail: err.validation });
    }
    const status = err.statusCode ?? 500;
    if (status === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      reply.hijack();
      refuseOversize(req.raw, TOO_LARGE);
      return reply;
    }
    if (status >= 400 && status < 500) {
      return reply.status(status).send({ error: 'bad_request', message: err.message, detail: { code: err.code ?? null } });
    }
    req.log.error({ err }, 'internal error');
    return reply.status(500).send({ error: 'internal', message: err.message, detail: null });
  });

  app.setNotFoundHandler((req, reply) => reply.status(404).send({
    error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}`, detail: { method: req.method, url: req.url },
  }));

  const cp = o.cp;

  // ── programs ──
  app.post<{ Querystring: { name?: string }; Body: Buffer | { path: string } }>('/v1/programs', {
    schema: {
      summary: 'Load an object: ELF bytes, or a path inside the programs directory',
      tags: ['programs'],
      querystring: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 64 } }, additionalProperties: false },
      body: {
        content: {
          'application/octet-stream': { schema: { description: 'the ELF object bytes' } },
          'application/json': { schema: { type: 'object', required: ['path'], properties: { path: { type: 'string', minLength: 1 } }, additionalProperties: false } },
        },
      },
      response: { 201: { $ref: 'Program#' }, ...errors(413, 422) },
    },
  }, async (req, reply) => {
    const body = req.body;
    const result = Buffer.isBuffer(body)
      ? await cp.loadProgram(body, req.query.name)
      : await cp.loadProgramFromPath(body.path, req.query.name);
    return reply.status(201).send(result);
  });
  app.get('/v1/programs', {
    schema: { tags: ['programs'], summary: 'Loaded programs', response: { 200: { type: 'array', items: { $ref: 'Program#' } }, ...errors() } },
  }, async () => cp.listPrograms());
  app.get<{ Params: { id: string } }>('/v1/programs/:id', {
    schema: { tags: ['programs'], params: idParam, response: { 200: { $ref: 'Program#' }, ...errors(404) } },
  }, async (req) => cp.getProgram(req.params.id));
  app.delete<{ Params: { id: string } }>('/v1/programs/:id', {
    schema: { tags: ['programs'], summary: 'Remove (409 while attached)', params: idParam, response: { 204: { type: 'null' }, ...errors(404, 409) } },
  }, async (req, reply) => { await cp.deleteProgram(req.params.id); return reply.status(204).send(); });

  // ── interfaces ──
  app.post<{ Body: InterfaceSpec }>('/v1/interfaces', {
    schema: {
      tags: ['interfaces'], summary: 'Create a pcap, veth (both ends) or vxlan interface', body: interfaceBody,
      response: { 201: { type: 'object', required: ['name', 'ifindex', 'kind'], properties: { name: { type: 'string' }, ifindex: { type: 'integer' }, kind: { type: 'string' }, peer: { type: 'object', properties: { name: { type: 'string' }, ifindex: { type: 'integer' } } } } }, ...errors(409) },
    },
  }, async (req, reply) => reply.status(201).send(await cp.addInterface(req.body)));
  app.get('/v1/interfaces', {
    schema: { tags: ['interfaces'], summary: 'Interfaces with attachment and counters', response: { 200: { type: 'array', items: { $ref: 'Interface#' } }, ...errors() } },
  }, async () => cp.listInterfaces());
  app.delete<{ Params: { name: string } }>('/v1/interfaces/:name', {
    schema: { tags: ['interfaces'], params: nameParam, response: { 204: { type: 'null' }, ...errors(404) } },
  }, async (req, reply) => { await cp.removeInterface(req.params.name); return reply.status(204).send(); });
  app.put<{ Params: { name: string }; Body: AttachBody }>('/v1/interfaces/:name/xdp', {
    schema: {
      tags: ['interfaces'], summary: 'Attach a program or a libxdp-style chain, replacing the whole attachment atomically',
      params: nameParam, body: attachBody, response: { 200: { $ref: 'Interface#' }, ...errors(404, 422) },
    },
  }, async (req) => cp.attach(req.params.name, req.body));
  app.delete<{ Params: { name: string } }>('/v1/interfaces/:name/xdp', {
    schema: { tags: ['interfaces'], summary: 'Detach', params: nameParam, response: { 204: { type: 'null' }, ...errors(404) } },
  }, async (req, reply) => { await cp.detach(req.params.name); return reply.status(204).send(); });

  // ── maps ──
  app.get('/v1/maps', {
    schema: { tags: ['maps'], response: { 200: { type: 'array', items: { $ref: 'Map#' } }, ...errors() } },
  }, async () => cp.listMaps());
  app.get<{ Params: { id: string } }>('/v1/maps/:id/entries', {
    schema: {
      tags: ['maps'], params: idParam,
      response: { 200: { type: 'object', required: ['map', 'entries'], properties: { map: { $ref: 'Map#' }, entries: { type: 'array', items: entrySchema } } }, ...errors(404) },
    },
  }, async (req) => cp.mapEntries(req.params.id));
  const entryParams = { type: 'object', required: ['id', 'keyHex'], properties: { id: { type: 'string' }, keyHex: { type: 'string' } } } as const;
  app.put<{ Params: { id: string; keyHex: string }; Querystring: { flags?: 'any' | 'noexist' | 'exist' }; Body: { value?: string; values?: string[] } }>('/v1/maps/:id/entries/:keyHex', {
    schema: {
      tags: ['maps'], params: entryParams, body: entryBody,
      querystring: { type: 'object', properties: { flags: { type: 'string', enum: ['any', 'noexist', 'exist'] } }, additionalProperties: false },
      response: { 204: { type: 'null' }, ...errors(404, 409, 422) },
    },
  }, async (req, reply) => { await cp.updateEntry(req.params.id, req.params.keyHex, req.body, req.query.flags ?? 'any'); return reply.status(204).send(); });
  app.delete<{ Params: { id: string; keyHex: string } }>('/v1/maps/:id/entries/:keyHex', {
    schema: { tags: ['maps'], params: entryParams, response: { 204: { type: 'null' }, ...errors(404, 409) } },
  }, async (req, reply) => { await cp.deleteEntry(req.params.id, req.params.keyHex); return reply.status(204).send(); });

  // ── replays ──
  app.post<{ Body: ReplayBody }>('/v1/replays', {
    schema: {
      tags: ['replays'], summary: 'Replay a capture from the pcaps directory into an interface', body: replayBody,
      response: { 202: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } }, ...errors(404) },
    },
  }, async (req, reply) => reply.status(202).send(await cp.startReplay(req.body)));
  app.get('/v1/replays', {
    schema: { tags: ['replays'], response: { 200: { type: 'array', items: { $ref: 'Replay#' } }, ...errors() } },
  }, async () => cp.listReplays());
  app.get<{ Params: { id: string } }>('/v1/replays/:id', {
    schema: { tags: ['replays'], params: idParam, response: { 200: { $ref: 'Replay#' }, ...errors(404) } },
  }, async (req) => cp.getReplay(req.params.id));
  app.delete<{ Params: { id: string } }>('/v1/replays/:id', {
    schema: { tags: ['replays'], summary: 'Stop', params: idParam, response: { 200: { $ref: 'Replay#' }, ...errors(404) } },
  }, async (req) => cp.stopReplay(req.params.id));

  // ── events (SSE) ──
  app.get('/v1/events', {
    schema: {
      tags: ['events'], summary: 'Server-Sent Events: one JSON object per program event (ringbuf, perf, trace)',
      response: { 200: { description: 'text/event-stream', type: 'string' }, ...errors() },
    },
  }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': xdpjit events\n\n');
    const unsubscribe = o.events.subscribe((e) => { res.write(`data: ${JSON.stringify(e)}\n\n`); });
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.raw.on('close', () => { clearInterval(keepAlive); unsubscribe(); });
  });

  app.get<{ Params: { name: string; queue: string } }>('/v1/interfaces/:name/xsk/:queue', {
    schema: {
      tags: ['interfaces'],
      summary: 'Server-Sent Events: the frames XDP programs redirect to this XSKMAP slot (an AF_XDP-like consumer)',
      description: 'While a client is connected, frames that a program on the interface redirects with bpf_redirect_map '
        + 'to an XSKMAP at key `queue` are sent here, one event each: '
        + '`{"queue":N,"cpu":N,"ts":"<ns>","len":N,"data":"<hex>"}`. With no consumer attached they are counted '
        + '(interface counter xskDropped) and dropped. The XSKMAP slot itself must be filled (PUT /v1/maps/{id}/entries).',
      params: {
        type: 'object', required: ['name', 'queue'],
        properties: { name: { type: 'string', minLength: 1 }, queue: { type: 'string', pattern: '^[0-9]{1,10}$', description: 'queue index (XSKMAP key)' } },
      },
      response: { 200: { description: 'text/event-stream', type: 'string' }, ...errors(404) },
    },
  }, (req, reply) => {
    // Attach before hijacking, so an unknown interface is a normal 404 in the error contract; frames are only
    // delivered in later turns, after the headers below.
    const res = reply.raw;
    const queue = Number(req.params.queue);
    if (queue > 0xffffffff) throw badRequest(`queue ${req.params.queue} is not a u32`, { queue: req.params.queue });
    const detach = cp.attachXsk(req.params.name, queue, (f) => {
      res.write(`data: ${JSON.stringify({ queue: f.queue, cpu: f.cpu, ts: f.tsNs.toString(), len: f.data.length, data: Buffer.from(f.data).toString('hex') })}\n\n`);
    });
    reply.hijack();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(`: xdpjit xsk ${req.params.name} queue ${queue}\n\n`);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.raw.on('close', () => { clearInterval(keepAlive); detach(); });
  });

  // ── open endpoints ──
  app.get('/metrics', {
    schema: { tags: ['observability'], summary: 'Prometheus text format', response: { 200: { type: 'string' } } },
  }, async (_req, reply) => {
    const text = await o.metrics.registry.metrics();
    return reply.type(o.metrics.registry.contentType).send(text);
  });
  app.get('/healthz', {
    schema: { tags: ['observability'], response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } } } },
  }, async () => ({ status: 'ok' as const }));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return app;
}

