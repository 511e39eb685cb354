/**
 * The kernel verifier's verdict on an object's XDP programs, for labelling a corpus (design.md §4b: labels
 * record the kernel version they came from). `strict` loads with only CAP_BPF + CAP_NET_ADMIN, the
 * verifier's rules for a loader without CAP_PERFMON (§4a, `xdpjit verify --strict`).
 */
import { runOracle, type OracleLine } from './oracle-process.js';
import { KernelOracleError } from './oracle-errors.js';
import type { KernelVerdict } from './oracle-types.js';

export interface KernelVerifyOptions {
  /** One program (default: every XDP program of the object). */
  readonly prog?: string;
  readonly strict?: boolean;
}

/** Verdicts for each selected program; each is loaded on its own, so one rejection hides no other. */
export async function kernelVerifyObject(objPath: string, opts: KernelVerifyOptions = {}): Promise<readonly KernelVerdict[]> {
  const args = [objPath, '--verify-only'];
  if (opts.prog !== undefined) args.push('--prog', opts.prog);
  if (opts.strict) args.push('--strict');
  // Exit 1 means "a program was rejected": the verdict lines say which.
  const { lines } = await runOracle(args, objPath, true);
  const verdicts = lines.filter((l) => typeof l.program === 'string').map(verdictOf);
  if (verdicts.length === 0) throw new KernelOracleError(args, 1, String(lines[0]?.error ?? 'no verdict printed'));
  return Object.freeze(verdicts);
}

/** The verdict on `prog`, or on the object's first XDP program. */
export async function kernelVerify(objPath: string, opts: KernelVerifyOptions = {}): Promise<KernelVerdict> {
  const verdicts = await kernelVerifyObject(objPath, opts);
  return verdicts[0] as KernelVerdict;
}

function verdictOf(line: OracleLine): KernelVerdict {
  return Object.freeze({
    program: String(line.program),
    section: String(line.section),
    accepted: line.accepted === true,
    insns: Number(line.insns),
    processedInsns: Number(line.processedInsns),
    verificationTimeUs: Number(line.verificationTimeUs),
    kernel: String(line.kernel),
    log: String(line.log),
  });
}
