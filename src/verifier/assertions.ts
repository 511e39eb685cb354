/**
 * What must hold (PREVAIL's split): for each instruction, the explicit assertions that make it safe,
 * derived from the instruction alone (and the helper prototype for calls). How each assertion is proved
 * from the abstract state lives in src/verifier/domain/ (discharge.ts); the abstract interpreter
 * (interpreter.ts) discharges every assertion of an instruction before applying its effect.
 */
import type { Insn } from '../ebpf/insn.js';
import type { ArgKind, HelperProto } from '../ebpf/helpers.js';
import { AluOp, AtomicOp, CallSrc, Class, JmpOp, Mode, Source, classOf, modeOf, opOf, sizeBytes, sizeOf, sourceOf } from '../ebpf/opcodes.js';

export type AccessMode = 'read' | 'write' | 'atomic';

export type Assertion =
  /** The register holds a value (kernel: check_reg_arg SRC_OP, "R%d !read_ok"). */
  | { readonly kind: 'initialized'; readonly reg: number }
  /** The register may be written (r10 is the read-only frame pointer). */
  | { readonly kind: 'writable'; readonly reg: number }
  /** `size` bytes at reg + off are inside one object the program may access this way. */
  | { readonly kind: 'access'; readonly reg: number; readonly off: number; readonly size: number; readonly mode: AccessMode; readonly value?: number; readonly imm?: number }
  /** Atomic operands are numbers: a pointer would escape into memory (strict mode only; plain stores are checked per region). */
  | { readonly kind: 'no_leak'; readonly reg: number }
  /** ALU: the operation is defined on these operand types (pointer arithmetic rules). */
  | { readonly kind: 'alu_operands'; readonly dst: number; readonly src: number | null; readonly op: number; readonly is64: boolean }
  /** Conditional jump: the comparison is allowed on these operand types. */
  | { readonly kind: 'cmp_operands'; readonly dst: number; readonly src: number | null; readonly is64: boolean }
  /** Helper call: the helper exists for XDP, the license allows it, each argument matches its kind. */
  | { readonly kind: 'helper'; readonly id: number }
  | { readonly kind: 'helper_arg'; readonly reg: number; readonly argKind: ArgKind; readonly proto: HelperProto }
  /** bpf-to-bpf call: the frame limit holds. */
  | { readonly kind: 'call_depth' }
  /** At the program's exit R0 holds the return value (a number, in strict mode); a subprogram may return nothing. */
  | { readonly kind: 'return_value' }
  /** At the program's exit every acquired reference has been released. */
  | { readonly kind: 'refs_released' }
  /** kfunc calls are refused (design.md §4a), naming the kfunc. */
  | { readonly kind: 'kfunc'; readonly btfId: number }
  /** Instruction kinds an XDP program may not use (legacy packet loads, callx). */
  | { readonly kind: 'forbidden'; readonly what: string; readonly unsupported: boolean };

/** The assertions of the instruction at `index`. `proto` is the helper prototype for a helper call. */
export function assertionsOf(insns: readonly Insn[], index: number, proto: HelperProto | undefined): Assertion[] {
  const insn = insns[index]!;
  const cls = classOf(insn.code);
  const out: Assertion[] = [];
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const op = opOf(insn.code);
      const isX = sourceOf(insn.code) === Source.X && op !== AluOp.END && op !== AluOp.NEG;
      if (isX) out.push({ kind: 'initialized', reg: insn.src });
      if (op !== AluOp.MOV) out.push({ kind: 'initialized', reg: insn.dst });
      out.push({ kind: 'writable', reg: insn.dst });
      out.push({ kind: 'alu_operands', dst: insn.dst, src: isX ? insn.src : null, op, is64: cls === Class.ALU64 });
      break;
    }
    case Class.LD:
      if (modeOf(insn.code) === Mode.IMM) out.push({ kind: 'writable', reg: insn.dst });
      else out.push({ kind: 'forbidden', what: 'BPF_LD_[ABS|IND] instructions are not allowed for XDP programs', unsupported: false });
      break;
    case Class.LDX:
      out.push({ kind: 'initialized', reg: insn.src }, { kind: 'writable', reg: insn.dst });
      out.push({ kind: 'access', reg: insn.src, off: insn.off, size: sizeBytes(sizeOf(insn.code)), mode: 'read' });
      break;
    case Class.ST:
      out.push({ kind: 'initialized', reg: insn.dst });
      out.push({ kind: 'access', reg: insn.dst, off: insn.off, size: sizeBytes(sizeOf(insn.code)), mode: 'write', imm: insn.imm });
      break;
    case Class.STX: {
      out.push({ kind: 'initialized', reg: insn.src }, { kind: 'initialized', reg: insn.dst });
      const atomic = modeOf(insn.code) === Mode.ATOMIC;
      if (atomic) {
        if (insn.imm === AtomicOp.CMPXCHG) out.push({ kind: 'initialized', reg: 0 }, { kind: 'no_leak', reg: 0 });
        out.push({ kind: 'no_leak', reg: insn.src });
      }
      out.push({ kind: 'access', reg: insn.dst, off: insn.off, size: sizeBytes(sizeOf(insn.code)), mode: atomic ? 'atomic' : 'write', value: insn.src });
      break;
    }
    case Class.JMP:
    case Class.JMP32: {
      const op = opOf(insn.code);
      if (op === JmpOp.EXIT) {
        out.push({ kind: 'return_value' }, { kind: 'refs_released' });
      } else if (op === JmpOp.CALL) {
        if (insn.src === CallSrc.PSEUDO_CALL) out.push({ kind: 'call_depth' });
        else if (insn.src === CallSrc.KFUNC) out.push({ kind: 'kfunc', btfId: insn.imm });
        else if (sourceOf(insn.code) === Source.X) out.push({ kind: 'forbidden', what: 'callx (indirect call) is not a kernel instruction', unsupported: false });
        else {
          out.push({ kind: 'helper', id: insn.imm });
          proto?.args.forEach((argKind, i) => out.push({ kind: 'helper_arg', reg: i + 1, argKind, proto }));
        }
      } else if (op !== JmpOp.JA) {
        out.push({ kind: 'initialized', reg: insn.dst });
        const isX = sourceOf(insn.code) === Source.X;
        if (isX) out.push({ kind: 'initialized', reg: insn.src });
        out.push({ kind: 'cmp_operands', dst: insn.dst, src: isX ? insn.src : null, is64: cls === Class.JMP });
      }
      break;
    }
  }
  return out;
}

/** Human text of an assertion, for the `-v` log and documentation. */
export function assertionString(a: Assertion): string {
  switch (a.kind) {
    case 'initialized': return `R${a.reg} initialized`;
    case 'writable': return `R${a.reg} writable`;
    case 'access': return `${a.mode} ${a.size}B at R${a.reg}${a.off >= 0 ? '+' : ''}${a.off} in bounds`;
    case 'no_leak': return `R${a.reg} not a pointer (strict)`;
    case 'alu_operands': return `ALU operands R${a.dst}${a.src === null ? '' : `, R${a.src}`} allowed`;
    case 'cmp_operands': return `comparison R${a.dst}${a.src === null ? '' : `, R${a.src}`} allowed`;
    case 'helper': return `helper ${a.id} callable`;
    case 'helper_arg': return `R${a.reg} is ${a.argKind}`;
    case 'call_depth': return 'call depth ≤ 8';
    case 'refs_released': return 'references released';
    case 'return_value': return 'R0 holds the return value';
    case 'forbidden': return a.what;
    case 'kfunc': return `kfunc ${a.btfId} refused`;
  }
}
