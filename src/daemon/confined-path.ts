/**
 * `path` and `pcap` fields of API bodies are resolved inside the configured programs / pcaps directory only
 * (design.md §6): no absolute paths, no `..` escapes, no symlinks leading out. Anything else is a 400.
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { badRequest } from './api-error.js';

export async function resolveConfined(dir: string | null, what: string, p: string): Promise<string> {
  if (dir === null) throw badRequest(`no ${what} directory is configured: '${p}' cannot be resolved`, { [what]: p });
  if (p === '' || isAbsolute(p) || p.includes('\0')) throw badRequest(`${what} path '${p}' must be relative to the ${what} directory`, { [what]: p });
  const root = await realpath(dir).catch(() => { throw badRequest(`${what} directory '${dir}' does not exist`, { [what]: p }); });
  const candidate = resolve(root, p);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw badRequest(`${what} '${p}' does not exist in the ${what} directory`, { [what]: p });
  }
  const rel = relative(root, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) {
    throw badRequest(`${what} '${p}' is outside the ${what} directory`, { [what]: p });
  }
  return real;
}

/** A file to create inside `dir` (capture output): its directory must exist inside `dir`. */
export async function resolveConfinedOutput(dir: string | null, what: string, p: string): Promise<string> {
  if (dir === null) throw badRequest(`no ${what} directory is configured: '${p}' cannot be resolved`, { [what]: p });
  if (p === '' || isAbsolute(p) || p.includes('\0') || basename(p) === '..' || basename(p) === '.') {
    throw badRequest(`${what} path '${p}' must be a file name relative to the ${what} directory`, { [what]: p });
  }
  const root = await realpath(dir).catch(() => { throw badRequest(`${what} directory '${dir}' does not exist`, { [what]: p }); });
  const parent = await realpath(resolve(root, dirname(p))).catch(() => { throw badRequest(`${what} '${p}': no such directory`, { [what]: p }); });
  const rel = relative(root, parent);
  if (rel.startsWith('..') || isAbsolute(rel)) throw badRequest(`${what} '${p}' is outside the ${what} directory`, { [what]: p });
  return join(parent, basename(p));
}
