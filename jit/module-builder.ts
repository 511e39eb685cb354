/**
 * Builds the wasm module for one program (ABI in module-abi.ts): imports, one function per sub-program,
 * the raw entry `run` and the batch loop `run_batch`.
 */
import binaryen from 'binaryen';
import type { Insn } from '../src/ebpf/insn.js';
import { DESC_SIZE, Desc, RedirectState } from '../src/vm/arena-layout.js';
import { XdpAction } from '../src/ebpf/opcodes.js';
import { buildCfg } from './cfg.js';
import type { SubProgram } from './cfg.js';
import { JitCompileError } from './errors.js';
import { Names, addSubProgramFunction, type InlineHelper, type ReadOnlyData } from './function-builder.js';
import { HelperId, TAIL_CALL_COUNT_OFFSET, subProgramExport } from './module-abi.js';
import { CallSrc, Class, JmpOp, Source, classOf, opOf, sourceOf } from '../src/ebpf/opcodes.js';
import { slotWidth } from './cfg.js';

/**
 * Wasm features every Node ≥ 20 V8 runs: threads/atomics (shared arena), sign extension, mutable globals,
 * bulk memory, tail calls, non-trapping float→int.
 */
export const WASM_FEATURES =
  binaryen.Features.Atomics | binaryen.Features.MutableGlobals | binaryen.Features.SignExt |
  binaryen.Features.BulkMemory | binaryen.Features.TailCall | binaryen.Features.NontrappingFPToInt;

export const MEMORY_NAME = 'arena';

export interface ModuleBuildOptions {
  readonly promoteStack: boolean;
  /** Run Binaryen's validator (V8 validates when it compiles anyway; this gives Binaryen's clearer message). */
  readonly validate?: boolean;
  readonly inlineHelper?: InlineHelper;
  readonly readOnly?: readonly ReadOnlyData[];
}

export interface BuiltModule {
  readonly module: binaryen.Module;
  readonly subPrograms: readonly SubProgram[];
  readonly usesTailCall: boolean;
}

function callsTailCall(insns: readonly Insn[]): boolean {
  for (let i = 0; i < insns.length; i += slotWidth(insns[i]!)) {
    const insn = insns[i]!;
    if (classOf(insn.code) !== Class.JMP || opOf(insn.code) !== JmpOp.CALL) continue;
    if (sourceOf(insn.code) === Source.X) return true; // callx could name any helper
    if (insn.src === CallSrc.HELPER && insn.imm === HelperId.TAIL_CALL) return true;
  }
  return false;
}

/** The caller disposes the returned module. */
export function buildModule(name: string, insns: readonly Insn[], funcStarts: readonly number[], options: ModuleBuildOptions): BuiltModule {
  const subPrograms = buildCfg(insns, funcStarts, name);
  const m = new binaryen.Module();
  try {
    m.setFeatures(WASM_FEATURES);
    m.setMemory(1, 65536, null, [], true, false, MEMORY_NAME);
    m.addMemoryImport(MEMORY_NAME, 'env', 'memory', true);
    m.addGlobalImport(Names.stackTop, 'env', 'stack_top', binaryen.i32, false);
    m.addGlobalImport(Names.regs, 'env', 'regs', binaryen.i32, false);
    m.addGlobalImport(Names.cpu, 'env', 'cpu', binaryen.i32, false);
    m.addGlobalImport(Names.redirect, 'env', 'redirect', binaryen.i32, false);
    m.addGlobal(Names.ctx, binaryen.i32, true, m.i32.const(0));
    m.addGlobalExport(Names.ctx, 'ctx');
    m.addFunctionImport(Names.helper, 'env', 'helper', binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.i32);
    const usesTailCall = callsTailCall(insns);
    if (usesTailCall) m.addFunctionImport(Names.tailCall, 'env', 'tail_call', binaryen.createType([binaryen.i32, binaryen.i32]), binaryen.i64);

    for (const sub of subPrograms) {
      addSubProgramFunction(m, name, insns, sub, options);
      m.addFunctionExport(subProgramExport(sub.start), subProgramExport(sub.start));
    }
    addEntryPoints(m, subProgramExport(0), usesTailCall);
    if (options.validate === true && !m.validate()) throw new JitCompileError('Binaryen rejected the generated module', name, 0);
    return { module: m, subPrograms, usesTailCall };
  } catch (e) {
    m.dispose();
    throw e;
  }
}

function addEntryPoints(m: binaryen.Module, entry: string, usesTailCall: boolean): void {
  const i32 = binaryen.i32;
  const i64 = binaryen.i64;
  const stackTop = (): number => m.i64.extend_u(m.global.get(Names.stackTop, i32));
  const zero = (): number => m.i64.const(0n);
  // Each run starts with no tail calls taken (MAX_TAIL_CALL_CNT counts per run, as the kernel's tail_call_cnt).
  const resetTailCalls = (): number[] =>
    usesTailCall ? [m.i32.store(TAIL_CALL_COUNT_OFFSET, 4, m.global.get(Names.regs, i32), m.i32.const(0))] : [];

  // run(r1, r2, ctx) → r0
  m.addFunction('run', binaryen.createType([i64, i64, i32]), i64, [], m.block(null, [
    m.global.set(Names.ctx, m.local.get(2, i32)),
    ...resetTailCalls(),
    m.call(entry, [m.local.get(0, i64), m.local.get(1, i64), zero(), zero(), zero(), stackTop()], i64),
  ], i64));
  m.addFunctionExport('run', 'run');

  // run_batch(desc, n): for each descriptor, as the kernel's XDP driver path does: clear this CPU's redirect
  // state (bpf_redirect_info), run with r1 = desc, store the u32 action, and for XDP_REDIRECT copy the target
  // bpf_redirect / bpf_redirect_map recorded into the descriptor. `ctx` names the frame being run, so after a
  // trap the caller knows which frame faulted and can resume after it.
  const DESC = 0;
  const N = 1;
  const END = 2;
  const ACTION = 3;
  const desc = (): number => m.local.get(DESC, i32);
  const redirect = (): number => m.global.get(Names.redirect, i32);
  m.addFunction('run_batch', binaryen.createType([i32, i32]), binaryen.none, [i32, i32], m.block(null, [
    m.local.set(END, m.i32.add(desc(), m.i32.mul(m.local.get(N, i32), m.i32.const(DESC_SIZE)))),
    m.if(m.i32.lt_u(desc(), m.local.get(END, i32)), m.loop('next', m.block(null, [
      m.global.set(Names.ctx, desc()),
      ...resetTailCalls(),
      m.i32.store(RedirectState.KIND, 4, redirect(), m.i32.const(0)),
      m.i32.store(RedirectState.TARGET, 4, redirect(), m.i32.const(0)),
      m.i32.store(RedirectState.MAP, 4, redirect(), m.i32.const(0)),
      m.local.set(ACTION, m.i32.wrap(m.call(entry, [m.i64.extend_u(desc()), zero(), zero(), zero(), zero(), stackTop()], i64))),
      m.i32.store(Desc.ACTION, 4, desc(), m.local.get(ACTION, i32)),
      m.if(m.i32.eq(m.local.get(ACTION, i32), m.i32.const(XdpAction.REDIRECT)), m.block(null, [
        m.i32.store(Desc.REDIRECT_KIND, 4, desc(), m.i32.load(RedirectState.KIND, 4, redirect())),
        m.i32.store(Desc.REDIRECT_TARGET, 4, desc(), m.i32.load(RedirectState.TARGET, 4, redirect())),
      ])),
      m.local.set(DESC, m.i32.add(desc(), m.i32.const(DESC_SIZE))),
      m.br('next', m.i32.lt_u(desc(), m.local.get(END, i32))),
    ]))),
  ]));
  m.addFunctionExport('run_batch', 'run_batch');
}
