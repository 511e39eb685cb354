/**
 * Builds the kernel oracle (native/kernel-oracle/oracle.c) with gcc against the system's libbpf-dev, into a
 * cache directory keyed by a hash of the source and the flags, so the binary is built once per change and
 * never committed.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { OracleBuildError } from './oracle-errors.js';

const execFileP = promisify(execFile);

/** The package root: this module runs as dist/src/oracle/build.js. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const ORACLE_SOURCE = join(PACKAGE_ROOT, 'native', 'kernel-oracle', 'oracle.c');

const COMPILER = 'gcc';
const CFLAGS: readonly string[] = ['-O2', '-Wall', '-Wextra', '-std=gnu11'];
/* Debian 12's libbpf.so links libelf and zlib; listing them keeps a static libbpf.a link working too. */
const LIBS: readonly string[] = ['-lbpf', '-lelf', '-lz'];

/** `$XDPJIT_CACHE_DIR`, else `node_modules/.cache/xdpjit` of the package (ignored by git). */
export function oracleCacheDir(): string {
  return process.env.XDPJIT_CACHE_DIR ?? join(PACKAGE_ROOT, 'node_modules', '.cache', 'xdpjit');
}

/** The cache dir, or a directory under the system's temporary dir when that cannot be created (read-only checkout). */
async function writableCacheDir(): Promise<string> {
  const preferred = oracleCacheDir();
  try {
    await mkdir(preferred, { recursive: true });
    await access(preferred, constants.W_OK);
    return preferred;
  } catch {
    const fallback = join(tmpdir(), 'xdpjit-cache');
    await mkdir(fallback, { recursive: true });
    return fallback;
  }
}

let building: Promise<string> | undefined;

/** Path of the built oracle, compiling it first when the cache has no binary for this source. */
export function buildOracle(): Promise<string> {
  building ??= build().catch((err: unknown) => {
    building = undefined;
    throw err;
  });
  return building;
}

async function build(): Promise<string> {
  let source: Buffer;
  try {
    source = await readFile(ORACLE_SOURCE);
  } catch (err) {
    throw new OracleBuildError(`cannot read the oracle source ${ORACLE_SOURCE}`, String(err));
  }
  const key = createHash('sha256')
    .update(source)
    .update([COMPILER, ...CFLAGS, ...LIBS].join(' '))
    .digest('hex')
    .slice(0, 16);
  const dir = await writableCacheDir();
  const binary = join(dir, `kernel-oracle-${key}`);
  if (existsSync(binary)) return binary;
  // Built under a private name and renamed into place, so concurrent test processes never run a half-written file.
  const tmp = `${binary}.${process.pid}.tmp`;
  try {
    await execFileP(COMPILER, [...CFLAGS, '-o', tmp, ORACLE_SOURCE, ...LIBS], { maxBuffer: 16 << 20 });
  } catch (err) {
    await rm(tmp, { force: true });
    const e = err as { stderr?: string; message: string; code?: string };
    const why = e.code === 'ENOENT' ? `${COMPILER} is not installed` : 'compiling the kernel oracle failed';
    throw new OracleBuildError(`${why} (needs gcc and libbpf-dev: scripts/install-deps.sh)`, e.stderr ?? e.message);
  }
  await rename(tmp, binary);
  return binary;
}
