/**
 * A rejection: where (instruction index, disassembly, source line), what the machine knew (register
 * state), which rule was broken in plain words, how to fix it, and where cheap a concrete input that
 * reaches the fault.
 */
export interface SourceLine {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

export interface VerifierErrorDetail {
  /** Instruction (slot) index; -1 for whole-program rules (stack depth, license...). */
  readonly insn: number;
  readonly disasm: string;
  readonly source?: SourceLine;
  /** `R1=ctx R2=pkt(r=0) ...` at the failing instruction. */
  readonly registers: string;
  /** Which rule, one short kernel-style line ("invalid access to packet"). */
  readonly rule: string;
  /** What to change. */
  readonly hint?: string;
  /** A concrete input reaching the fault, e.g. the packet length. */
  readonly witness?: string;
  /** The program uses a feature xdpjit does not support (kfunc, dynptr, unknown helper): bad input, not unsafe. */
  readonly unsupported?: boolean;
  /** The tail of the kernel-style state log, when verification ran with `log`. */
  readonly log?: string;
}

export class VerifierError extends Error {
  constructor(readonly program: string, readonly detail: VerifierErrorDetail) {
    super(formatVerifierError(program, detail));
    this.name = 'VerifierError';
  }
}

export function formatVerifierError(program: string, d: VerifierErrorDetail): string {
  const lines: string[] = [];
  lines.push(d.insn >= 0 ? `${program}: insn ${d.insn}: ${d.rule}` : `${program}: ${d.rule}`);
  if (d.insn >= 0) lines.push(`  ${d.insn}: ${d.disasm}`);
  if (d.source) lines.push(`  at ${d.source.file}:${d.source.line}: ${d.source.text.trim()}`);
  if (d.registers) lines.push(`  state: ${d.registers}`);
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  if (d.witness) lines.push(`  reached by: ${d.witness}`);
  return lines.join('\n');
}

/**
 * Thrown inside the abstract interpreter at the failing instruction; `verify` adds the context
 * (disassembly, source line, registers) and rethrows a VerifierError.
 */
export class RuleViolation extends Error {
  constructor(readonly rule: string, readonly hint?: string, readonly witness?: string, readonly unsupported = false) {
    super(rule);
    this.name = 'RuleViolation';
  }
}
