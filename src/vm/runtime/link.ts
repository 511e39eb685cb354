/**
 * Linking a ProgramSpec into an ExecProgram (the kernel's resolve_pseudo_ldimm64): every LD_IMM64 that
 * names a map gets the map's arena address in its immediate — src=1 the map header, src=2 the byte `off` of
 * the map's value (global data). The `src` field is kept, so the verifier still knows the pointer's type.
 * Helper calls are checked against what the runtime implements; kfuncs and BTF-id loads are refused.
 */
import { OP_LD_IMM64, type Insn } from '../../ebpf/insn.js';
import { UnsupportedFeatureError } from '../../ebpf/loader-errors.js';
import type { ProgramSpec } from '../../ebpf/object-spec.js';
import { CallSrc, Class, JmpOp, PseudoSrc, classOf, opOf } from '../../ebpf/opcodes.js';
import type { ExecProgram } from '../exec-types.js';
import { UnsupportedHelperError, type HelperResolver } from '../helpers/helper-table.js';

export interface MapBinding {
  /** Header address (LD_IMM64 src=1). */
  readonly header: number;
  /** Address of value byte 0 of index 0, for global data (src=2); undefined for maps without one. */
  readonly value: number | undefined;
  readonly valueSize: number;
  readonly name: string;
}

export class LinkError extends Error {
  constructor(readonly program: string, readonly insn: number, message: string) {
    super(`program '${program}': insn ${insn}: ${message}`);
    this.name = 'LinkError';
  }
}

export function linkProgram(spec: ProgramSpec, maps: readonly MapBinding[], helpers: HelperResolver): ExecProgram {
  const out: Insn[] = spec.insns.slice();
  for (let i = 0; i < out.length; i++) {
    const insn = out[i]!;
    if (insn.code === OP_LD_IMM64) {
      out[i] = bindImm64(spec, i, insn, out[i + 1]!, maps);
      if (insn.src === PseudoSrc.MAP_FD || insn.src === PseudoSrc.MAP_VALUE) out[i + 1] = Object.freeze({ ...out[i + 1]!, imm: 0 });
      i++;
      continue;
    }
    if (classOf(insn.code) === Class.JMP && opOf(insn.code) === JmpOp.CALL) {
      if (insn.src === CallSrc.KFUNC) throw new UnsupportedFeatureError('kfunc', `program '${spec.name}': insn ${i}: kfunc calls (BTF id ${insn.imm}) are not supported`);
      if (insn.src === CallSrc.HELPER && !helpers(insn.imm)) throw new UnsupportedHelperError(spec.name, insn.imm, i);
    }
  }
  return Object.freeze({ name: spec.name, insns: Object.freeze(out), funcs: spec.funcs, lines: spec.lines });
}

function bindImm64(spec: ProgramSpec, i: number, insn: Insn, next: Insn, maps: readonly MapBinding[]): Insn {
  switch (insn.src) {
    case PseudoSrc.IMM:
    case PseudoSrc.FUNC:
      return insn;
    case PseudoSrc.MAP_FD:
    case PseudoSrc.MAP_VALUE: {
      const m = maps[insn.imm];
      if (!m) throw new LinkError(spec.name, i, `map index ${insn.imm} does not exist (${maps.length} maps)`);
      if (insn.src === PseudoSrc.MAP_FD) return Object.freeze({ ...insn, imm: m.header | 0 });
      const off = next.imm;
      if (m.value === undefined) throw new LinkError(spec.name, i, `map '${m.name}' has no direct value address`);
      if (off < 0 || off >= m.valueSize) throw new LinkError(spec.name, i, `offset ${off} outside map '${m.name}' value of ${m.valueSize} bytes`);
      return Object.freeze({ ...insn, imm: (m.value + off) | 0 });
    }
    default:
      throw new UnsupportedFeatureError(`ld_imm64 src=${insn.src}`, `program '${spec.name}': insn ${i}: LD_IMM64 with src=${insn.src} (BTF ids / map-by-index) is not supported`);
  }
}
