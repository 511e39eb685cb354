/**
 * Writes docs/api.md from a running daemon's /openapi.json (the daemon started here on a free loopback
 * port, so the document is exactly what this build serves). Run through scripts/gen-api-docs.sh.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from './daemon-metrics.js';
import { renderOpenApiMarkdown, type OpenApiDocument } from './openapi-markdown.js';
import { REPO } from './repo-files.js';

const d = await startDaemon();
try {
  const doc = (await (await fetch(`${d.url}/openapi.json`)).json()) as OpenApiDocument;
  const out = join(REPO, 'docs', 'api.md');
  writeFileSync(out, renderOpenApiMarkdown(doc, 'the daemon\'s GET /openapi.json'));
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await d.stop();
}
