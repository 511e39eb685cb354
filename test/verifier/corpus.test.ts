/**
 * The verifier corpus (test/verifier/corpus): small XDP programs — half unsafe, one per rejection class,
 * half valid but tricky — each labelled with the kernel verifier's verdict in the default (root,
 * CAP_PERFMON) and strict (CAP_BPF + CAP_NET_ADMIN only) modes, and the kernel version the labels came from.
 * xdpjit's verifier must agree with every label.
 *
 *   XDPJIT_RELABEL=1         re-run the kernel on every program and rewrite labels.json (needs bpf(), root)
 *   XDPJIT_KERNEL_RECHECK=1  compare the labels with the running kernel — only if it is the labels' version
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseObject } from '../../src/ebpf/loader.js';
import { verify, VerifierError } from '../../src/verifier/index.js';

const CORPUS = fileURLToPath(new URL('../../../test/verifier/corpus/', import.meta.url));
const LABELS = `${CORPUS}labels.json`;

interface Label { readonly default: boolean; readonly strict: boolean; readonly kernelRule?: string; readonly kernelRuleStrict?: string }
interface Labels { readonly kernel: string; readonly programs: Record<string, Label> }

const names = readdirSync(CORPUS).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2)).sort();

function ours(name: string, strict: boolean): { accepted: boolean; rule: string } {
  const obj = parseObject(readFileSync(`${CORPUS}${name}.o`));
  assert.equal(obj.programs.length, 1, `${name}.o must hold exactly one XDP program`);
  try {
    verify(obj.programs[0]!, obj, { strict });
    return { accepted: true, rule: '' };
  } catch (e) {
    if (e instanceof VerifierError) return { accepted: false, rule: e.detail.rule };
    throw e;
  }
}

/** The broken rule: the last log line that is not statistics. */
function kernelRule(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter((l) => l && !/^(processed|verification time|stack depth|-- END PROG LOAD LOG --)/.test(l));
  return lines[lines.length - 1] ?? '';
}

async function kernelLabels(): Promise<Labels> {
  const { kernelVerify } = await import('../../src/oracle/index.js');
  const programs: Record<string, Label> = {};
  let kernel = '';
  for (const name of names) {
    const d = await kernelVerify(`${CORPUS}${name}.o`, {});
    const s = await kernelVerify(`${CORPUS}${name}.o`, { strict: true });
    kernel = d.kernel;
    programs[name] = {
      default: d.accepted, strict: s.accepted,
      ...(d.accepted ? {} : { kernelRule: kernelRule(d.log) }),
      ...(s.accepted ? {} : { kernelRuleStrict: kernelRule(s.log) }),
    };
  }
  return { kernel, programs };
}

async function kernelUsable(): Promise<string | undefined> {
  try {
    const { kernelAvailable } = await import('../../src/oracle/index.js');
    const a = await kernelAvailable();
    return a.ok ? undefined : a.reason;
  } catch (e) {
    return `kernel oracle unavailable: ${(e as Error).message}`;
  }
}

test('relabel the corpus from the running kernel (XDPJIT_RELABEL=1)', async (t) => {
  if (process.env.XDPJIT_RELABEL !== '1') { t.skip('set XDPJIT_RELABEL=1 to rewrite labels.json from the kernel'); return; }
  const why = await kernelUsable();
  if (why) { t.skip(why); return; }
  writeFileSync(LABELS, `${JSON.stringify(await kernelLabels(), null, 1)}\n`);
});

test('every corpus program has a compiled object and a kernel label', () => {
  const labels = JSON.parse(readFileSync(LABELS, 'utf8')) as Labels;
  assert.ok(labels.kernel, 'labels record the kernel version');
  for (const n of names) {
    assert.ok(existsSync(`${CORPUS}${n}.o`), `${n}.o missing: run make in test/verifier/corpus`);
    assert.ok(labels.programs[n], `${n} has no label: relabel with XDPJIT_RELABEL=1`);
  }
  const verdicts = Object.values(labels.programs);
  assert.ok(verdicts.some((v) => !v.default) && verdicts.some((v) => v.default), 'the corpus holds both safe and unsafe programs');
});

test('the verifier agrees with the kernel on every corpus program, default and strict', () => {
  const labels = JSON.parse(readFileSync(LABELS, 'utf8')) as Labels;
  const disagreements: string[] = [];
  for (const n of names) {
    const label = labels.programs[n];
    if (!label) continue;
    for (const strict of [false, true]) {
      const want = strict ? label.strict : label.default;
      const got = ours(n, strict);
      if (got.accepted !== want) {
        const k = (strict ? label.kernelRuleStrict : label.kernelRule) ?? 'accepted';
        disagreements.push(`${n} (${strict ? 'strict' : 'default'}): kernel ${want ? 'accepts' : `rejects (${k})`}, xdpjit ${got.accepted ? 'accepts' : `rejects (${got.rule})`}`);
      }
    }
  }
  assert.deepEqual(disagreements, []);
});

test('labels still match the kernel they came from (XDPJIT_KERNEL_RECHECK=1)', async (t) => {
  const labels = JSON.parse(readFileSync(LABELS, 'utf8')) as Labels;
  if (process.env.XDPJIT_KERNEL_RECHECK !== '1') { t.skip('set XDPJIT_KERNEL_RECHECK=1 to re-run the kernel on the corpus'); return; }
  if (release() !== labels.kernel) { t.skip(`labels are from kernel ${labels.kernel}, this is ${release()}: re-checked only on the same kernel`); return; }
  const why = await kernelUsable();
  if (why) { t.skip(why); return; }
  const fresh = await kernelLabels();
  for (const n of names) {
    assert.equal(fresh.programs[n]!.default, labels.programs[n]!.default, `${n} default`);
    assert.equal(fresh.programs[n]!.strict, labels.programs[n]!.strict, `${n} strict`);
  }
});
