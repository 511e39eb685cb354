/**
 * The kernel verifier's figures for every programs/*.o XDP program, as root and as a CAP_BPF+CAP_NET_ADMIN
 * loader (`strict`, design.md §4a): test/differential/kernel-verdicts.json, for the verifier's corpus labels.
 * programs/kernel-verdicts.json (the programs' own test) records acceptance through bpftool; this file adds
 * what that cannot: processed-instruction counts and strict-mode verdicts. Labels hold for the kernel version
 * they came from, so they are re-checked only on that version (§4b).
 *
 * XDPJIT_RECORD_VERDICTS=1 rewrites the file from this kernel instead of checking it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createHash } from 'node:crypto';
import { kernelAvailable, kernelVerifyObject, type KernelVerdict } from '../../src/oracle/index.js';
import { REPO_ROOT } from './xdpjit-cli.js';

const FILE = join(REPO_ROOT, 'test', 'differential', 'kernel-verdicts.json');
const PROGRAMS_DIR = join(REPO_ROOT, 'programs');

interface Figures {
  readonly accepted: boolean;
  readonly processedInsns: number;
}

interface VerdictsFile {
  readonly kernel: string;
  readonly recordedWith: string;
  readonly programs: Readonly<Record<string, { readonly object: string; readonly objectSha256: string } & Figures & { readonly strict: Figures }>>;
}

const figures = (v: KernelVerdict): Figures => ({ accepted: v.accepted, processedInsns: v.processedInsns });

async function current(kernel: string): Promise<VerdictsFile> {
  const programs: Record<string, VerdictsFile['programs'][string]> = {};
  for (const file of readdirSync(PROGRAMS_DIR).filter((f) => f.endsWith('.o')).sort()) {
    const obj = join(PROGRAMS_DIR, file);
    const objectSha256 = createHash('sha256').update(await readFile(obj)).digest('hex');
    const [root, strict] = await Promise.all([kernelVerifyObject(obj), kernelVerifyObject(obj, { strict: true })]);
    for (const v of root) {
      const s = strict.find((x) => x.program === v.program);
      assert.ok(s, `${file}: no strict verdict for ${v.program}`);
      assert.ok(!(v.program in programs), `program name ${v.program} appears in two objects`);
      programs[v.program] = { object: basename(obj), objectSha256, ...figures(v), strict: figures(s) };
    }
  }
  return { kernel, recordedWith: 'kernel oracle --verify-only (src/oracle kernelVerifyObject), as root and with --strict', programs };
}

test('kernel verifier figures of programs/*.o match test/differential/kernel-verdicts.json', async (t) => {
  const k = await kernelAvailable();
  if (!k.ok) {
    t.skip(`kernel oracle unavailable: ${k.reason}`);
    return;
  }
  if (process.env.XDPJIT_RECORD_VERDICTS === '1') {
    await writeFile(FILE, `${JSON.stringify(await current(k.kernel), null, 2)}\n`);
    t.diagnostic(`wrote ${FILE}`);
    return;
  }
  if (!existsSync(FILE)) {
    t.skip(`${FILE} is missing: XDPJIT_RECORD_VERDICTS=1 writes it`);
    return;
  }
  const recorded = JSON.parse(await readFile(FILE, 'utf8')) as VerdictsFile;
  if (recorded.kernel !== k.kernel) {
    t.skip(`labels come from kernel ${recorded.kernel}, this is ${k.kernel}: not re-checked (design.md §4b)`);
    return;
  }
  // A label belongs to the object's exact bytes and this kernel: rebuilt or new objects are reported, not judged.
  const now = await current(k.kernel);
  for (const [name, figs] of Object.entries(now.programs)) {
    const old = recorded.programs[name];
    if (!old) t.diagnostic(`${name}: not recorded yet (XDPJIT_RECORD_VERDICTS=1 records it)`);
    else if (old.objectSha256 !== figs.objectSha256) t.diagnostic(`${name}: ${figs.object} changed since it was recorded; not re-checked`);
    else assert.deepEqual(figs, old, `${name}: the kernel's verdict on the same object bytes changed`);
  }
  for (const name of Object.keys(recorded.programs)) {
    if (!(name in now.programs)) t.diagnostic(`${name}: recorded, but no longer in programs/`);
  }
});
