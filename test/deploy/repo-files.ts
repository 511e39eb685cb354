/**
 * Where the deploy tests find the repository and its deploy/ files (compiled to dist/test/deploy, so the
 * repository root is three levels up), and the YAML/JSON documents under deploy/ parsed once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const DEPLOY = join(REPO, 'deploy');

/** Every file under `dir`, as paths relative to the repository root, sorted. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(REPO, p));
    }
  };
  walk(dir);
  return out.sort();
}

export class DeployFileError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'DeployFileError';
  }
}

export interface ParsedFile {
  readonly file: string;
  /** One entry per YAML document (`---`); a JSON file is one document. */
  readonly documents: readonly unknown[];
}

/**
 * Parses a YAML (all documents) or JSON file. YAML is read with duplicate keys as errors and warnings
 * refused, since a duplicated key silently keeps only one value in most consumers (kubectl, compose).
 */
export function parseDeployFile(file: string): ParsedFile {
  const text = readFileSync(join(REPO, file), 'utf8');
  if (file.endsWith('.json')) {
    try {
      return { file, documents: [JSON.parse(text) as unknown] };
    } catch (err) {
      throw new DeployFileError(file, (err as Error).message);
    }
  }
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  if (!Array.isArray(docs)) throw new DeployFileError(file, 'not a YAML stream');
  const problems = docs.flatMap((d) => [...d.errors, ...d.warnings].map((e) => e.message));
  if (problems.length > 0) throw new DeployFileError(file, problems.join('\n'));
  return { file, documents: docs.map((d) => d.toJS() as unknown).filter((d) => d !== null) };
}

export const isYamlOrJson = (f: string): boolean => /\.(ya?ml|json)$/.test(f);

export function deployDocuments(): ParsedFile[] {
  return filesUnder(DEPLOY).filter(isYamlOrJson).map(parseDeployFile);
}

export function parseOne<T>(file: string): T {
  const { documents } = parseDeployFile(file);
  if (documents.length !== 1) throw new DeployFileError(file, `expected one document, found ${documents.length}`);
  return documents[0] as T;
}
