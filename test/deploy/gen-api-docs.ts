/**
 * Writes docs/api.md from a running daemon's /openapi.json (the daemon started here on a free loopback
 * port, so the document is exactly what this build serves), and the helper table of docs/program-guide.md
 * from src/ebpf/helpers.ts. Run through scripts/gen-api-docs.sh.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from './daemon-metrics.js';
import { withHelperTable } from './helper-table-markdown.js';
import { renderOpenApiMarkdown, type OpenApiDocument } from './openapi-markdown.js';
import { REPO } from './repo-files.js';

const d = await startDaemon();
try {
  const doc = (await (await fetch(`${d.url}/openapi.json`)).json()) as OpenApiDocument;
  const out = join(REPO, 'docs', 'api.md');
  writeFileSync(out, renderOpenApiMarkdown(doc, 'the daemon\'s GET /openapi.json'));
  process.stdout.write(`wrote ${out}\n`);
  const guide = join(REPO, 'docs', 'program-guide.md');
  writeFileSync(guide, withHelperTable(readFileSync(guide, 'utf8')));
  process.stdout.write(`wrote ${guide}\n`);
} finally {
  await d.stop();
}
