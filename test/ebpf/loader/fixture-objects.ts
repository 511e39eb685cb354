/** Paths and bytes of the committed fixture objects (test/fixtures/objects) and of programs/*.o. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

/** dist/test/ebpf/loader → repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'objects');

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

/** Every fixture object plus whatever the programs engineer has committed under programs/. */
export function allObjects(): { name: string; bytes: Uint8Array }[] {
  const out = readdirSync(FIXTURES).filter((f) => f.endsWith('.o')).map((f) => ({ name: f, bytes: fixture(f) }));
  const progs = join(REPO_ROOT, 'programs');
  if (existsSync(progs)) {
    for (const f of readdirSync(progs).filter((n) => n.endsWith('.o'))) {
      out.push({ name: `programs/${f}`, bytes: new Uint8Array(readFileSync(join(progs, f))) });
    }
  }
  return out;
}

/** Run a tool; undefined when it is not installed (the caller skips with a reason). */
export function runTool(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout;
}
