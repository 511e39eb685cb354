/**
 * The committed sample objects (programs/*.o) are what every other area tests against, so:
 *  1. each must be reproducible: rebuilt from its .c with the Makefile's exact flags, byte-identical;
 *  2. each must load in the real kernel (bpftool prog loadall), and programs/kernel-verdicts.json records
 *     which programs that kernel accepted. The record is re-checked only on the kernel release it names
 *     (design.md §4b); XDPJIT_RECORD_VERDICTS=1 rewrites it from this machine's kernel.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const PROGRAMS_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../programs');
const VERDICTS_PATH = join(PROGRAMS_DIR, 'kernel-verdicts.json');
const sources = readdirSync(PROGRAMS_DIR).filter((n) => n.endsWith('.c')).sort();
const headers = readdirSync(PROGRAMS_DIR).filter((n) => n.endsWith('.h'));

function available(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** The flags exactly as the Makefile has them (its print-cflags target), split into arguments. */
function makefileFlags(): string[] {
  const out = execFileSync('make', ['-s', '-C', PROGRAMS_DIR, 'print-cflags'], { encoding: 'utf8' });
  return out.trim().split(/\s+/);
}

describe('programs rebuild byte-identically', () => {
  const noClang = available('clang-16', ['--version']) ? undefined : 'clang-16 is not installed';
  const noMake = available('make', ['--version']) ? undefined : 'make is not installed';
  const skip = noClang ?? noMake;

  it('every .c has its committed .o', () => {
    for (const c of sources) assert.ok(existsSync(join(PROGRAMS_DIR, c.replace(/\.c$/, '.o'))), `${c} has no .o`);
  });

  it(`${sources.length} objects`, (t) => {
    if (skip) return t.skip(skip);
    const flags = makefileFlags();
    assert.ok(flags.includes('-fdebug-compilation-dir=.') && flags.includes('-mcpu=v3'), `unexpected flags: ${flags.join(' ')}`);
    const dir = mkdtempSync(join(tmpdir(), 'xdpjit-programs-'));
    try {
      for (const h of headers) copyFileSync(join(PROGRAMS_DIR, h), join(dir, h));
      const differing: string[] = [];
      for (const c of sources) {
        copyFileSync(join(PROGRAMS_DIR, c), join(dir, c));
        const o = c.replace(/\.c$/, '.o');
        // Same invocation as the Makefile's rule, run in the copy's directory with relative names.
        execFileSync('clang-16', [...flags, '-c', c, '-o', o], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
        if (!readFileSync(join(dir, o)).equals(readFileSync(join(PROGRAMS_DIR, o)))) differing.push(o);
      }
      assert.deepEqual(differing, [], 'objects that differ from a rebuild (run `make -C programs` and commit)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface ProgramVerdict {
  readonly object: string;
  readonly accepted: boolean;
  /** Instructions after the kernel's rewrites (bytes_xlated / 8); absent when rejected. */
  readonly xlatedInsns?: number;
  readonly error?: string;
}

interface VerdictFile {
  readonly kernel: string;
  readonly recordedWith: string;
  readonly programs: Record<string, ProgramVerdict>;
}

const BPFFS = '/sys/fs/bpf';

function kernelSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root: loading BPF programs needs CAP_BPF + CAP_NET_ADMIN';
  if (!available('bpftool', ['version'])) return 'bpftool is not installed';
  const mounts = readFileSync('/proc/mounts', 'utf8');
  if (!mounts.split('\n').some((l) => l.split(' ')[1] === BPFFS && l.split(' ')[2] === 'bpf')) return `no bpffs mounted at ${BPFFS}`;
  return undefined;
}

/** Loads every program of one object; returns each program's verdict keyed by program name. */
function loadObject(object: string, pinRoot: string): Record<string, ProgramVerdict> {
  const pinDir = join(pinRoot, object.replace(/\.o$/, ''));
  const r = spawnSync('bpftool', ['prog', 'loadall', join(PROGRAMS_DIR, object), pinDir], { encoding: 'utf8' });
  try {
    if (r.status !== 0) {
      const log = `${r.stderr}${r.stdout}`;
      // Only a verifier/loader refusal is a verdict; anything else (bpffs, permissions) is this test's failure.
      if (!/failed to load|PROG LOAD LOG|verifier/i.test(log)) throw new Error(`bpftool could not try ${object}: ${log.trim()}`);
      // libbpf loads the object as a whole: one rejected program rejects it; the log's tail says why.
      const error = log.trim().split('\n').slice(-12).join('\n');
      return { [object.replace(/\.o$/, '')]: { object, accepted: false, error } };
    }
    const verdicts: Record<string, ProgramVerdict> = {};
    for (const name of readdirSync(pinDir).sort()) {
      const info = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show', 'pinned', join(pinDir, name)], { encoding: 'utf8' })) as { bytes_xlated?: number };
      verdicts[name] = { object, accepted: true, ...(info.bytes_xlated ? { xlatedInsns: info.bytes_xlated / 8 } : {}) };
    }
    return verdicts;
  } finally {
    rmSync(pinDir, { recursive: true, force: true });
  }
}

describe('programs load in the kernel', () => {
  it('every object is accepted, as kernel-verdicts.json records', (t) => {
    const skip = kernelSkipReason();
    if (skip) return t.skip(skip);
    const pinRoot = join(BPFFS, `xdpjit-test-${process.pid}`);
    const objects = sources.map((c) => c.replace(/\.c$/, '.o'));
    const programs: Record<string, ProgramVerdict> = {};
    mkdirSync(pinRoot);
    try {
      for (const o of objects) Object.assign(programs, loadObject(o, pinRoot));
    } finally {
      rmSync(pinRoot, { recursive: true, force: true });
    }
    const rejected = Object.entries(programs).filter(([, v]) => !v.accepted);
    const current: VerdictFile = { kernel: release(), recordedWith: 'bpftool prog loadall OBJ DIR (test/programs)', programs };

    if (process.env['XDPJIT_RECORD_VERDICTS'] === '1') {
      writeFileSync(VERDICTS_PATH, `${JSON.stringify(current, null, 2)}\n`);
      t.diagnostic(`recorded ${Object.keys(programs).length} programs for kernel ${current.kernel}`);
    } else if (existsSync(VERDICTS_PATH)) {
      const recorded = JSON.parse(readFileSync(VERDICTS_PATH, 'utf8')) as VerdictFile;
      if (recorded.kernel === current.kernel) {
        assert.deepEqual(
          Object.fromEntries(Object.entries(programs).map(([n, v]) => [n, v.accepted])),
          Object.fromEntries(Object.entries(recorded.programs).map(([n, v]) => [n, v.accepted])),
          'acceptance differs from kernel-verdicts.json',
        );
      } else {
        t.diagnostic(`kernel-verdicts.json is from ${recorded.kernel}; this is ${current.kernel}: record not re-checked`);
      }
    }
    assert.deepEqual(rejected.map(([n, v]) => `${n}: ${v.error}`), [], 'programs the kernel rejected');
  });
});
