/**
 * Runs one map helper call compiled by the JIT with the inline helpers (jit/inline-helpers.ts) over an
 * arena, for the tests that compare the wasm lowerings with the TS maps of src/vm/maps/ on the same bytes.
 * The program is `r0 = helper(map, args at `argAddr`, r2 of run())`: r2 = key / value address (argAddr),
 * r3 = argAddr + ARG_VALUE_OFF (update's value), r4 = run()'s r2 (flags); for bpf_map_lookup_percpu_elem
 * r3 = run()'s r2 (the CPU), and for bpf_map_push_elem r2 = the value, r3 = run()'s r2 (flags).
 */
import { Arena } from '../../src/vm/arena.js';
import { AluOp, Class, JmpOp, PseudoSrc, Source } from '../../src/ebpf/opcodes.js';
import type { Insn } from '../../src/ebpf/insn.js';
import { compileProgram } from '../../jit/compile.js';
import { createInlineHelpers } from '../../jit/inline-helpers.js';
import { JitInstance, type JitInstanceOptions } from '../../jit/instance.js';
import { callHelper, exit, insn, ldImm64 } from './insn-builders.js';

const LOOKUP_PERCPU_ELEM = 195;
const MAP_PUSH_ELEM = 87;

/** Where the value argument sits after the key argument. */
export const ARG_VALUE_OFF = 512;

const mov = (dst: number, src: number): Insn => insn(Class.ALU64 | AluOp.MOV | Source.X, dst, src);
const addImm = (dst: number, imm: number): Insn => insn(Class.ALU64 | AluOp.ADD | Source.K, dst, 0, 0, imm);

/** Fails the test when a lowering still reaches the JS trampoline. */
export const noTrampoline = (id: number): never => { throw new Error(`helper ${id} reached the trampoline: it was not lowered`); };

export interface HelperRunner {
  /** r0 of the helper with its key/value argument at `argAddr` and `r2` (flags, or the CPU for lookup_percpu). */
  call(argAddr: number, r2: bigint): bigint;
}

/**
 * `helperId` on `maps[i]`, where i is chosen by run()'s r2 at run time when there are several maps (one
 * merged call site, jit/lower-map-dispatch.ts), else the one map loaded in the call's block. With several
 * maps, `call`'s r2 is the map index and flags / CPU are 0. `optimizeLevel` 0 is the direct encoder (tier 1),
 * 2 the Binaryen backend.
 */
export function helperRunner(
  arena: Arena, maps: readonly number[], helperId: number, cpu: number, optimizeLevel: 0 | 2 = 0, helpers: JitInstanceOptions['helpers'] = noTrampoline,
): HelperRunner {
  const args: Insn[] = helperId === LOOKUP_PERCPU_ELEM || helperId === MAP_PUSH_ELEM
    ? [mov(3, 2), mov(2, 1)]
    : [mov(4, 2), mov(3, 1), addImm(3, ARG_VALUE_OFF), mov(2, 1)];
  let insns: Insn[];
  if (maps.length === 1) {
    insns = [...args, ...ldImm64(1, BigInt(maps[0]!), PseudoSrc.MAP_FD), callHelper(helperId), exit()];
  } else {
    // r6 = index; per map i: if r6 != i skip to the next test, else r1 = map and jump to the call: every
    // branch joins at one call (clang's merged site). No index matched: exit with r0 = 0.
    insns = [mov(6, 2), ...args, insn(Class.ALU64 | AluOp.MOV | Source.K, 4, 0, 0, 0)];
    maps.forEach((addr, i) => {
      insns.push(insn(Class.JMP | JmpOp.JNE | Source.K, 6, 0, 3, i), ...ldImm64(1, BigInt(addr), PseudoSrc.MAP_FD),
        insn(Class.JMP | JmpOp.JA, 0, 0, (maps.length - 1 - i) * 4 + 1));
    });
    insns.push(exit(), callHelper(helperId), exit());
  }
  const compiled = compileProgram({ name: `helper_${helperId}`, insns, funcs: [] }, { inlineHelper: createInlineHelpers(arena.u32), optimizeLevel, validate: true });
  const jit = new JitInstance(compiled, { memory: arena.memory, cpu, helpers });
  return { call: (argAddr, r2) => jit.run(BigInt(argAddr), r2) };
}
