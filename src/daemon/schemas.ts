/**
 * JSON schemas of the REST contract (design.md §6): every route validates its input with these and
 * serialises its answer through them; @fastify/swagger turns the same schemas into /openapi.json.
 */
export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error', 'message', 'detail'],
  properties: {
    error: { type: 'string', enum: ['bad_request', 'not_found', 'conflict', 'verifier_rejected', 'unsupported', 'unauthorized', 'payload_too_large', 'internal'] },
    message: { type: 'string' },
    detail: {},
  },
} as const;

const errorRef = { $ref: 'Error#' } as const;
/** The error answers a route can give, all with the Error schema. */
export const errors = (...codes: number[]): Record<number, typeof errorRef> =>
  Object.fromEntries([400, 401, 500, ...codes].map((c) => [c, errorRef]));

export const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } } as const;
export const nameParam = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } } as const;

const mapInfo = {
  type: 'object',
  required: ['id', 'name', 'type', 'keySize', 'valueSize', 'maxEntries'],
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, type: { type: 'string' },
    keySize: { type: 'integer' }, valueSize: { type: 'integer' }, maxEntries: { type: 'integer' },
    perCpu: { type: 'boolean' }, program: { type: 'string', description: 'id of the program that created it' },
  },
} as const;

export const programSchema = {
  $id: 'Program',
  type: 'object',
  required: ['id', 'name', 'programs', 'maps', 'verifier'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    programs: {
      type: 'array',
      items: { type: 'object', required: ['name', 'section', 'insns'], properties: { name: { type: 'string' }, section: { type: 'string' }, insns: { type: 'integer' } } },
    },
    maps: { type: 'array', items: mapInfo },
    verifier: { type: 'object', additionalProperties: true },
    attachedTo: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const mapSchema = { $id: 'Map', ...mapInfo } as const;

export const interfaceBody = {
  type: 'object',
  required: ['name', 'kind'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,15}$', description: 'IFNAMSIZ-1 characters at most, as Linux' },
    kind: { type: 'string', enum: ['pcap', 'veth', 'vxlan'] },
    peer: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,15}$' },
    vni: { type: 'integer', minimum: 0, maximum: 16777215 },
    listen: { type: 'string', description: 'HOST:PORT of the local VXLAN UDP socket' },
    remote: { type: 'string', description: 'HOST:PORT VXLAN frames are sent to' },
    capture: {
      type: 'object',
      description: 'record traffic to pcap files inside the pcaps directory (truncated when the daemon restarts)',
      properties: {
        pass: { type: 'string', minLength: 1, description: 'frames delivered to the stack side (XDP_PASS)' },
        tx: { type: 'string', minLength: 1, description: 'frames leaving the interface (XDP_TX, redirects to it)' },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
  allOf: [
    { if: { properties: { kind: { const: 'veth' } } }, then: { required: ['peer'] } },
    { if: { properties: { kind: { const: 'vxlan' } } }, then: { required: ['vni', 'listen', 'remote'] } },
  ],
} as const;

const attachmentInfo = {
  type: ['object', 'null'],
  properties: {
    program: { type: 'string' }, programName: { type: 'string' }, entry: { type: 'string' },
    engine: { type: 'string' }, harden: { type: 'boolean' },
    chain: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          program: { type: 'string' }, programName: { type: 'string' }, entry: { type: 'string' },
          priority: { type: 'integer' }, chainCallActions: { type: 'integer' },
        },
      },
    },
  },
} as const;

export const interfaceSchema = {
  $id: 'Interface',
  type: 'object',
  required: ['name', 'ifindex', 'kind'],
  properties: {
    name: { type: 'string' }, ifindex: { type: 'integer' }, kind: { type: 'string' },
    peer: { type: 'string' }, vni: { type: 'integer' }, listen: { type: 'string' }, remote: { type: 'string' },
    capture: { type: 'object', properties: { pass: { type: 'string' }, tx: { type: 'string' } } },
    attachment: attachmentInfo,
    counters: {
      type: 'object',
      properties: Object.fromEntries(['rxPackets', 'rxBytes', 'passPackets', 'passBytes', 'txPackets', 'txBytes', 'rxDropped', 'xskPackets', 'xskBytes', 'xskDropped']
        .map((k) => [k, { type: 'integer' }])),
    },
  },
} as const;

export const attachBody = {
  type: 'object',
  properties: {
    program: { type: 'string', minLength: 1, description: 'program id (or unique name)' },
    entry: { type: 'string', minLength: 1 },
    engine: { type: 'string', enum: ['jit', 'interp'] },
    harden: { type: 'boolean' },
    chain: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['program'],
        properties: {
          program: { type: 'string', minLength: 1 },
          entry: { type: 'string', minLength: 1 },
          priority: { type: 'integer' },
          chainCallActions: {
            oneOf: [
              { type: 'integer', minimum: 0 },
              { type: 'array', items: { type: 'string', enum: ['aborted', 'drop', 'pass', 'tx', 'redirect', 'XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'] } },
            ],
          },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
  oneOf: [{ required: ['program'] }, { required: ['chain'] }],
} as const;

export const entrySchema = {
  type: 'object',
  required: ['key'],
  properties: {
    key: { type: 'string' }, value: { type: 'string' }, values: { type: 'array', items: { type: 'string' } },
    keyJson: {}, valueJson: {},
  },
} as const;

export const entryBody = {
  type: 'object',
  properties: {
    value: { type: 'string', description: 'hex bytes in memory order; `@id` of a program for PROG_ARRAY' },
    values: { type: 'array', items: { type: 'string' }, description: 'hex per CPU, for per-CPU maps' },
  },
  additionalProperties: false,
  oneOf: [{ required: ['value'] }, { required: ['values'] }],
} as const;

export const replayBody = {
  type: 'object',
  required: ['interface', 'pcap'],
  properties: {
    interface: { type: 'string', minLength: 1 },
    pcap: { type: 'string', minLength: 1, description: 'path inside the pcaps directory' },
    speed: { type: 'number', minimum: 0, description: '0 = as fast as possible, 1 = capture pace, k = k× faster' },
    loop: { type: 'integer', minimum: 0, description: 'passes; 0 = until stopped' },
    clock: { type: 'string', enum: ['capture', 'wall'] },
  },
  additionalProperties: false,
} as const;

export const replaySchema = {
  $id: 'Replay',
  type: 'object',
  required: ['id', 'interface', 'state', 'framesSent', 'framesTotal', 'startedAt', 'finishedAt'],
  properties: {
    id: { type: 'string' }, interface: { type: 'string' }, pcap: { type: 'string' },
    state: { type: 'string', enum: ['running', 'done', 'stopped', 'failed'] },
    framesSent: { type: 'integer' }, framesTotal: { type: ['integer', 'null'] },
    startedAt: { type: 'string' }, finishedAt: { type: ['string', 'null'] }, error: { type: 'string' },
  },
} as const;
