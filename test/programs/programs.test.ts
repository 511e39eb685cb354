/**
 * The committed sample objects (programs/*.o) are what every other area tests against, so:
 *  1. each must be reproducible: rebuilt from its .c with the Makefile's exact flags, byte-identical;
 *  2. each must load in the real kernel (bpftool prog loadall), and each of programs/rejected/ must be refused;
 *     programs/kernel-verdicts.json records which programs that kernel accepted, and why it refused the others.
 *     The record is re-checked only on the kernel release it names (design.md §4b);
 *     XDPJIT_RECORD_VERDICTS=1 rewrites it from this machine's kernel.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const PROGRAMS_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../programs');
const VERDICTS_PATH = join(PROGRAMS_DIR, 'kernel-verdicts.json');
/** Sources relative to programs/: the accepted set, then rejected/ (programs the verifier must refuse). */
const sources = [
  ...readdirSync(PROGRAMS_DIR).filter((n) => n.endsWith('.c')).sort(),
  ...readdirSync(join(PROGRAMS_DIR, 'rejected')).filter((n) => n.endsWith('.c')).sort().map((n) => `rejected/${n}`),
];
const headers = readdirSync(PROGRAMS_DIR).filter((n) => n.endsWith('.h'));
const mustReject = (source: string) => source.startsWith('rejected/');

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
      mkdirSync(join(dir, 'rejected'));
      const differing: string[] = [];
      for (const c of sources) {
        copyFileSync(join(PROGRAMS_DIR, c), join(dir, c));
        const o = c.replace(/\.c$/, '.o');
        // Same invocation as the Makefiles' rule (make -C <its dir>), run in the copy's directory with
        // relative names, so DWARF records the same file names.
        const cwd = join(dir, dirname(c));
        execFileSync('clang-16', [...flags, '-c', basename(c), '-o', basename(o)], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
        if (!readFileSync(join(dir, o)).equals(readFileSync(join(PROGRAMS_DIR, o)))) differing.push(o);
      }
      assert.deepEqual(differing, [], 'objects that differ from a rebuild (run `make -C programs` and commit)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface ProgramVerdict {
  /** Relative to programs/. */
  readonly object: string;
  readonly accepted: boolean;
  /** Instructions after the kernel's rewrites (bytes_xlated / 8); absent when rejected. */
  readonly xlatedInsns?: number;
  /** Rejected: the verifier's reason (the log line before "processed N insns"). */
  readonly error?: string;
  /** Rejected: the instruction the verifier stopped at, as its log prints it. */
  readonly insn?: string;
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
  const pinDir = join(pinRoot, basename(object, '.o'));
  // A program that exhausts the instruction budget logs ~1M lines: room for all of it.
  const r = spawnSync('bpftool', ['prog', 'loadall', join(PROGRAMS_DIR, object), pinDir], { encoding: 'utf8', maxBuffer: 512 << 20 });
  try {
    if (r.status !== 0) {
      const log = `${r.stderr}${r.stdout}`;
      // Only a verifier/loader refusal is a verdict; anything else (bpffs, permissions) is this test's failure.
      if (!/failed to load|PROG LOAD LOG|verifier/i.test(log)) throw new Error(`bpftool could not try ${object}: ${log.trim()}`);
      // libbpf loads the object as a whole: one rejected program rejects it. The verifier's log ends with the
      // failing instruction, the reason (sometimes followed by state dumps), then "processed N insns".
      const lines = log.split('\n').map((l) => l.replace(/^libbpf: /, '').trim());
      const at = lines.findIndex((l) => /^processed \d+ insns/.test(l));
      let insnAt = -1;
      for (let i = at - 1; i >= 0; i--) {
        if (/^\d+: \(/.test(lines[i]!)) {
          insnAt = i;
          break;
        }
      }
      const error = insnAt >= 0 && insnAt + 1 < at ? lines[insnAt + 1]!
        : at > 0 ? lines[at - 1]! : lines.filter((l) => l).slice(-4).join(' | ');
      const insn = insnAt >= 0 ? lines[insnAt]!.replace(/\s+;.*$/, '') : undefined;
      return { [basename(object, '.o')]: { object, accepted: false, error, ...(insn ? { insn } : {}) } };
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
  it('every object is accepted and every rejected/ object refused, as kernel-verdicts.json records', (t) => {
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
    const wrong = Object.entries(programs)
      .filter(([, v]) => v.accepted === mustReject(v.object))
      .map(([n, v]) => `${n}: ${v.accepted ? 'accepted, but it is in rejected/' : `rejected: ${v.error}`}`);
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
    assert.deepEqual(wrong, [], 'programs whose kernel verdict is not the one intended');
  });
});
