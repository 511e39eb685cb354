/**
 * Renders the daemon's OpenAPI 3.0 document (/openapi.json) as Markdown for docs/api.md: one section per
 * tag, one heading per operation (`### METHOD /path`), its parameters, request body and responses as field
 * tables. Schemas are flattened to dotted field paths (`chain[].program`); `$ref`s to components are
 * followed; `allOf` if/then rules become "required when" notes, as design.md §6's table says them.
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: Json[];
  const?: Json;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  description?: string;
  format?: string;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  if?: Schema;
  then?: Schema;
  $ref?: string;
  additionalProperties?: boolean | Schema;
  nullable?: boolean;
}
interface Parameter { name: string; in: string; required?: boolean; description?: string; schema?: Schema }
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
  security?: Record<string, string[]>[];
}
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema>; securitySchemes?: Record<string, { type: string; scheme?: string }> };
  security?: Record<string, string[]>[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n+/g, ' ');

export class OpenApiRenderError extends Error {
  constructor(readonly where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'OpenApiRenderError';
  }
}

function resolve(doc: OpenApiDocument, s: Schema, where: string): Schema {
  if (!s.$ref) return s;
  const m = /^#\/components\/schemas\/(.+)$/.exec(s.$ref);
  const target = m ? doc.components?.schemas?.[m[1]!] : undefined;
  if (!target) throw new OpenApiRenderError(where, `unresolvable $ref ${s.$ref}`);
  return target;
}

/** A oneOf/anyOf variant that only lists `required` (exactly one of these fields) says nothing about types. */
const describesType = (v: Schema): boolean => v.type !== undefined || v.properties !== undefined || v.$ref !== undefined || v.items !== undefined;

function typeOf(doc: OpenApiDocument, s: Schema, where: string): string {
  const r = resolve(doc, s, where);
  const variants = (r.oneOf ?? r.anyOf ?? []).filter(describesType);
  if (variants.length > 0 && r.type === undefined) return variants.map((x) => typeOf(doc, x, where)).join(' \\| ');
  const t = Array.isArray(r.type) ? r.type.join(' \\| ') : r.type ?? (r.properties ? 'object' : 'any');
  if (t === 'array' && r.items) return `${typeOf(doc, r.items, where)}[]`;
  return r.nullable ? `${t} \\| null` : t;
}

function constraints(s: Schema): string {
  const out: string[] = [];
  if (s.enum) out.push(`one of ${s.enum.map((e) => `\`${JSON.stringify(e)}\``).join(', ')}`);
  if (s.const !== undefined) out.push(`\`${JSON.stringify(s.const)}\``);
  if (s.pattern) out.push(`pattern \`${s.pattern}\``);
  if (s.format) out.push(`format ${s.format}`);
  if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) out.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined) out.push(`length ≥ ${s.minLength}`);
  if (s.maxLength !== undefined) out.push(`length ≤ ${s.maxLength}`);
  if (s.minItems !== undefined) out.push(`≥ ${s.minItems} items`);
  if (s.maxItems !== undefined) out.push(`≤ ${s.maxItems} items`);
  return out.join('; ');
}

/** "required when kind is vxlan: vni, listen, remote" from `allOf: [{if: {properties: {kind: {enum|const}}}, then: {required}}]`. */
function conditionalRequirements(s: Schema): string[] {
  return (s.allOf ?? []).flatMap((rule) => {
    const cond = Object.entries(rule.if?.properties ?? {}).map(([k, v]) => `${k} is ${(v.enum ?? [v.const]).map((x) => `\`${String(x)}\``).join(' or ')}`);
    const req = rule.then?.required ?? [];
    return cond.length > 0 && req.length > 0 ? [`required when ${cond.join(' and ')}: ${req.map((r) => `\`${r}\``).join(', ')}`] : [];
  });
}

interface Row { path: string; type: string; required: boolean; notes: string }

function rows(doc: OpenApiDocument, schema: Schema, prefix: string, where: string, depth: number, out: Row[]): void {
  const s = resolve(doc, schema, where);
  const variants = (s.oneOf ?? s.anyOf ?? []).filter(describesType);
  if (variants.length > 0 && !s.properties) {
    variants.forEach((v) => rows(doc, v, prefix, where, depth, out));
    return;
  }
  if (s.type === 'array' && s.items && depth < 6) {
    rows(doc, s.items, `${prefix}[]`, where, depth + 1, out);
    return;
  }
  for (const [name, raw] of Object.entries(s.properties ?? {})) {
    const p = resolve(doc, raw, where);
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const notes = [p.description ?? '', constraints(p)].filter(Boolean).join('. ');
    out.push({ path, type: typeOf(doc, p, where), required: (s.required ?? []).includes(name), notes });
    const nested = p.type === 'array' ? resolve(doc, p.items ?? {}, where) : p;
    if (depth < 6 && (nested.properties || nested.oneOf || nested.anyOf)) rows(doc, p, path, where, depth + 1, out);
  }
}

function schemaBlock(doc: OpenApiDocument, schema: Schema, where: string): string[] {
  const s = resolve(doc, schema, where);
  const out: Row[] = [];
  rows(doc, s, '', where, 0, out);
  const lines: string[] = [];
  if (out.length === 0) {
    lines.push(`${typeOf(doc, s, where)}${constraints(s) ? ` (${constraints(s)})` : ''}${s.description ? `: ${cell(s.description)}` : ''}`);
  } else {
    if (s.type === 'array') lines.push('An array of:', '');
    lines.push('| field | type | required | notes |', '|---|---|---|---|');
    const seen = new Set<string>();
    for (const r of out) {
      const key = `${r.path}|${r.type}`;
      if (seen.has(key)) continue;
      seen.add(key);
      lines.push(`| \`${r.path}\` | ${r.type} | ${r.required ? 'yes' : ''} | ${cell(r.notes)} |`);
    }
  }
  for (const c of conditionalRequirements(s)) lines.push('', `- ${c}`);
  const alternatives = (s.oneOf ?? s.anyOf ?? []).filter((v) => !describesType(v) && v.required);
  if (alternatives.length > 0) {
    lines.push('', `- ${s.oneOf ? 'exactly one' : 'at least one'} of: ${alternatives.map((v) => v.required!.map((r) => `\`${r}\``).join(' + ')).join(', ')}`);
  }
  return lines;
}

function operation(doc: OpenApiDocument, method: string, path: string, op: Operation): string[] {
  const where = `${method.toUpperCase()} ${path}`;
  const lines = [`### ${where}`, ''];
  if (op.summary) lines.push(op.summary, '');
  if (op.description) lines.push(op.description, '');
  // The document may not declare security per operation; design.md §6 fixes the rule: every /v1 route
  // needs the token when the daemon has one, the rest stay open.
  const declared = (op.security ?? doc.security ?? []).some((s) => Object.keys(s).length > 0);
  lines.push(declared || path.startsWith('/v1/')
    ? 'Auth: `Authorization: Bearer <token>` when the daemon has a token (always, off loopback).'
    : 'Auth: none (open for probes and Prometheus).', '');
  if (op.parameters?.length) {
    lines.push('| parameter | in | type | required | notes |', '|---|---|---|---|---|');
    for (const p of op.parameters) {
      const s = p.schema ?? {};
      lines.push(`| \`${p.name}\` | ${p.in} | ${typeOf(doc, s, where)} | ${p.required ? 'yes' : ''} | ${cell([p.description ?? s.description ?? '', constraints(s)].filter(Boolean).join('. '))} |`);
    }
    lines.push('');
  }
  if (op.requestBody) {
    for (const [type, c] of Object.entries(op.requestBody.content)) {
      lines.push(`Request body (\`${type}\`${op.requestBody.required ? ', required' : ''}):`, '');
      if (c.schema) lines.push(...schemaBlock(doc, c.schema, `${where} body`));
      lines.push('');
    }
  }
  lines.push('Responses:', '');
  for (const [status, r] of Object.entries(op.responses ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const content = Object.entries(r.content ?? {});
    const schema = content[0]?.[1].schema;
    const isError = schema?.$ref === '#/components/schemas/Error';
    const desc = r.description && r.description !== 'Default Response' ? ` — ${r.description}` : '';
    lines.push(`- **${status}**${content.length ? ` \`${content.map(([t]) => t).join('`, `')}\`` : ''}${desc}${isError ? ' — an [error](#errors)' : ''}`);
    if (schema && !isError) lines.push('', ...schemaBlock(doc, schema, `${where} ${status}`).map((l) => (l === '' ? '' : `  ${l}`)), '');
  }
  lines.push('');
  return lines;
}

export function renderOpenApiMarkdown(doc: OpenApiDocument, source: string): string {
  const lines = [
    `# ${doc.info.title} REST API (v${doc.info.version})`,
    '',
    `<!-- Generated from ${source} by scripts/gen-api-docs.sh; do not edit by hand. -->`,
    '',
  ];
  if (doc.info.description) lines.push(doc.info.description, '');
  lines.push(
    'JSON over HTTP. The daemon binds 127.0.0.1:9800 by default; a non-loopback bind requires a token, and then',
    'every `/v1` route needs `Authorization: Bearer <token>`. `/healthz`, `/metrics`, `/openapi.json` and `/docs`',
    '(Swagger UI) stay open. The live document is at `GET /openapi.json`.',
    '',
  );
  const byTag = new Map<string, { method: string; path: string; op: Operation }[]>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = ops[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push({ method, path, op });
    }
  }
  lines.push('## Contents', '');
  for (const [tag, ops] of byTag) {
    lines.push(`- ${tag}: ${ops.map((o) => `\`${o.method.toUpperCase()} ${o.path}\``).join(', ')}`);
  }
  lines.push('- [errors](#errors)', '');
  for (const [tag, ops] of byTag) {
    lines.push(`## ${tag}`, '');
    for (const o of ops) lines.push(...operation(doc, o.method, o.path, o.op));
  }
  const error = doc.components?.schemas?.['Error'];
  if (error) {
    lines.push('## Errors', '', 'Every error answer has this shape:', '', ...schemaBlock(doc, error, 'Error'), '');
  }
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

/** `METHOD /path` of every operation in the document. */
export function operationsOf(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) => METHODS.filter((m) => ops[m]).map((m) => `${m.toUpperCase()} ${path}`));
}
