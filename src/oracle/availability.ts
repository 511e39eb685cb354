/**
 * Whether the kernel can serve as the oracle here (design.md §4b): Linux, root, gcc and libbpf-dev to build
 * the helper, and a bpf() syscall that creates maps, loads XDP and test-runs it. Tests and `xdpjit bench`
 * skip the kernel with the reason given.
 */
import { existsSync } from 'node:fs';
import { buildOracle } from './build.js';
import { runOracle } from './oracle-process.js';

export type KernelAvailability = { readonly ok: true; readonly kernel: string; readonly possibleCpus: number } | { readonly ok: false; readonly reason: string };

const LIBBPF_HEADER = '/usr/include/bpf/libbpf.h';

let probed: Promise<KernelAvailability> | undefined;

/** Probed once per process. */
export function kernelAvailable(): Promise<KernelAvailability> {
  probed ??= probe();
  return probed;
}

async function probe(): Promise<KernelAvailability> {
  if (process.platform !== 'linux') return { ok: false, reason: `the kernel oracle needs Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'the kernel oracle needs root (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON)' };
  if (!existsSync(LIBBPF_HEADER)) return { ok: false, reason: `${LIBBPF_HEADER} is missing: install libbpf-dev (scripts/install-deps.sh)` };
  try {
    await buildOracle();
  } catch (err) {
    const e = err as Error & { compilerOutput?: string };
    return { ok: false, reason: `${e.message}${e.compilerOutput ? `\n${e.compilerOutput}` : ''}` };
  }
  try {
    const { lines } = await runOracle(['--probe']);
    const line = lines[0];
    if (line?.ok === true) {
      return { ok: true, kernel: String(line.kernel), possibleCpus: Number(line.possibleCpus) };
    }
    return { ok: false, reason: 'the oracle probe printed no verdict' };
  } catch (err) {
    return { ok: false, reason: `bpf() is not usable here: ${(err as Error).message}` };
  }
}
