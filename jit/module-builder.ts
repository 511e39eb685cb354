/**
 * Builds the wasm module for one program (ABI in module-abi.ts): imports, one function per sub-program,
 * the raw entry `run` and the batch loop `run_batch`.
 */
import binaryen from 'binaryen';
import type { Insn } from '../src/ebpf/insn.js';
import { DESC_SIZE, Desc, REDIRECT_STATE_BYTES, REDIRECT_TO_DESC } from '../src/vm/arena-layout.js';
import { XdpAction } from '../src/ebpf/opcodes.js';
import { buildCfg } from './cfg.js';
import type { SubProgram } from './cfg.js';
import type { ModuleWriter } from './module-writer.js';
import { Names, addSubProgramFunction, type InlineHelper, type ReadOnlyData } from './function-builder.js';
import { HelperId, TAIL_CALL_COUNT_OFFSET, subProgramExport } from './module-abi.js';
import { CallSrc, Class, JmpOp, Source, classOf, opOf, sourceOf } from '../src/ebpf/opcodes.js';
import { slotWidth } from './cfg.js';
import { BLIND_GLOBAL, type HardenSpec } from './harden.js';
import { PROG_TABLE, TAIL_ENTRY, type TailCallLowering } from './tail-call-table.js';

export interface ModuleBuildOptions {
  readonly promoteStack: boolean;
  readonly inlineHelper?: InlineHelper;
  readonly readOnly?: readonly ReadOnlyData[];
  readonly harden?: HardenSpec;
  readonly tailCalls?: TailCallLowering;
}

export interface BuiltModule {
  readonly subPrograms: readonly SubProgram[];
  readonly usesTailCall: boolean;
  /** The module imports `env.progs` (tail calls through the table). */
  readonly usesProgTable: boolean;
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

/** Describes the program module into `w` (the caller finishes or disposes it). */
export function buildModule(w: ModuleWriter, name: string, insns: readonly Insn[], funcStarts: readonly number[], options: ModuleBuildOptions): BuiltModule {
  const built = buildStages(w, [{ name, insns, funcStarts, prefix: '' }], options);
  addEntryPoints(w, subProgramExport(0), built.usesTailCall);
  return built;
}

/** One program of a fused chain (jit/chain.ts). */
export interface ChainStage {
  readonly name: string;
  readonly insns: readonly Insn[];
  readonly funcStarts: readonly number[];
  /** Bit a set: run the next stage when this one returns action a (libxdp chain_call_actions). */
  readonly chainCallActions: number;
}

/** The fused chain's entry function: the stages called directly, one after another. */
export const CHAIN_ENTRY = 'chain';
export const chainStagePrefix = (k: number): string => `c${k}_`;

/**
 * A libxdp-style chain fused into one module: every stage's functions (named chainStagePrefix(k) + sub_<slot>,
 * exported likewise) and CHAIN_ENTRY(r1..r5, r10) → r0, which runs stage k + 1 when stage k's action a is
 * below 32 with bit a of its chain_call_actions set, else returns that action (libxdp's dispatcher). Each
 * stage starts with this CPU's redirect state cleared and no tail calls taken, as when the stages run one
 * after another. run / run_batch / tail_entry run the chain.
 */
export function buildChainModule(w: ModuleWriter, stages: readonly ChainStage[], options: ModuleBuildOptions): BuiltModule {
  const built = buildStages(w, stages.map((s, k) => ({ ...s, prefix: chainStagePrefix(k) })), options);
  const m = w.ir;
  const { i32, i64 } = binaryen;
  const R0 = 6;
  const args = (): number[] => [0, 1, 2, 3, 4, 5].map((k) => m.local.get(k, i64));
  const redirect = (): number => m.global.get(Names.redirect, i32);
  const body: number[] = [];
  stages.forEach((s, k) => {
    if (k > 0) {
      body.push(...clearRedirectState(m, redirect));
      if (built.usesTailCall) body.push(m.i32.store(TAIL_CALL_COUNT_OFFSET, 4, m.global.get(Names.regs, i32), m.i32.const(0)));
    }
    body.push(m.local.set(R0, m.call(chainStagePrefix(k) + subProgramExport(0), args(), i64)));
    if (k + 1 < stages.length) {
      const r0 = (): number => m.local.get(R0, i64);
      const goOn = m.i32.and(
        m.i64.lt_u(r0(), m.i64.const(32n)),
        m.i32.and(m.i32.shr_u(m.i32.const(s.chainCallActions | 0), m.i32.wrap(r0())), m.i32.const(1)),
      );
      body.push(m.if(m.i32.eqz(goOn), m.return(r0())));
    }
  });
  body.push(m.local.get(R0, i64));
  w.addFunction(CHAIN_ENTRY, [i64, i64, i64, i64, i64, i64], i64, [i64], m.block(null, body, i64));
  addEntryPoints(w, CHAIN_ENTRY, built.usesTailCall);
  return built;
}

function buildStages(
  w: ModuleWriter, stages: readonly { name: string; insns: readonly Insn[]; funcStarts: readonly number[]; prefix: string }[], options: ModuleBuildOptions,
): BuiltModule {
  const cfgs = stages.map((s) => buildCfg(s.insns, s.funcStarts, s.name));
  const { i32, i64 } = binaryen;
  w.importMemory();
  w.importGlobal(Names.stackTop, 'stack_top', i32);
  w.importGlobal(Names.regs, 'regs', i32);
  w.importGlobal(Names.cpu, 'cpu', i32);
  w.importGlobal(Names.redirect, 'redirect', i32);
  w.importFunction(Names.helper, 'helper', [i32, i32, i32, i32], i32);
  w.importFunction(Names.clockNow, 'clock_now', [i32], binaryen.none);
  if (options.harden !== undefined) w.importGlobal(BLIND_GLOBAL, BLIND_GLOBAL, i64);
  const usesTailCall = stages.some((s) => callsTailCall(s.insns));
  if (usesTailCall) w.importFunction(Names.tailCall, 'tail_call', [i32, i32], i64);
  const usesProgTable = usesTailCall && options.tailCalls !== undefined && w.importTable !== undefined && w.ir.tailTable !== undefined;
  if (usesProgTable) w.importTable!(PROG_TABLE, PROG_TABLE);
  w.addMutableGlobal(Names.ctx, i32, 0);
  w.exportGlobal(Names.ctx, 'ctx');
  const stageOptions = { ...options, ...(usesProgTable ? {} : { tailCalls: undefined }) };
  stages.forEach((s, k) => {
    for (const sub of cfgs[k]!) {
      addSubProgramFunction(w.ir, w, w.structure, s.name, s.insns, sub, { ...stageOptions, functionPrefix: s.prefix });
      w.exportFunction(s.prefix + subProgramExport(sub.start), s.prefix + subProgramExport(sub.start));
    }
  });
  return { subPrograms: cfgs[0]!, usesTailCall, usesProgTable };
}

/** Zero this CPU's RedirectState (bpf_redirect_info) before a frame or a chain stage runs. */
function clearRedirectState(m: ModuleWriter['ir'], redirect: () => number): number[] {
  const stores: number[] = [];
  for (let off = 0; off < REDIRECT_STATE_BYTES; off += 4) stores.push(m.i32.store(off, 4, redirect(), m.i32.const(0)));
  return stores;
}

function addEntryPoints(w: ModuleWriter, entry: string, usesTailCall: boolean): void {
  const m = w.ir;
  const i32 = binaryen.i32;
  const i64 = binaryen.i64;
  const stackTop = (): number => m.i64.extend_u(m.global.get(Names.stackTop, i32));
  const zero = (): number => m.i64.const(0n);
  // Each run starts with no tail calls taken (MAX_TAIL_CALL_CNT counts per run, as the kernel's tail_call_cnt).
  const resetTailCalls = (): number[] =>
    usesTailCall ? [m.i32.store(TAIL_CALL_COUNT_OFFSET, 4, m.global.get(Names.regs, i32), m.i32.const(0))] : [];

  // run(r1, r2, ctx) → r0
  w.addFunction('run', [i64, i64, i32], i64, [], m.block(null, [
    m.global.set(Names.ctx, m.local.get(2, i32)),
    ...resetTailCalls(),
    m.call(entry, [m.local.get(0, i64), m.local.get(1, i64), zero(), zero(), zero(), stackTop()], i64),
  ], i64));
  w.exportFunction('run', 'run');

  // tail_entry(r1..r5, r10) → r0: a tail call's way in (jit/tail-call-table.ts): this module's ctx global
  // names the frame for its helpers, then the program runs on the caller's frame.
  w.addFunction(TAIL_ENTRY, [i64, i64, i64, i64, i64, i64], i64, [], m.block(null, [
    m.global.set(Names.ctx, m.i32.wrap(m.local.get(0, i64))),
    m.call(entry, [0, 1, 2, 3, 4, 5].map((k) => m.local.get(k, i64)), i64),
  ], i64));
  w.exportFunction(TAIL_ENTRY, TAIL_ENTRY);

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
  w.addFunction('run_batch', [i32, i32], binaryen.none, [i32, i32], m.block(null, [
    m.local.set(END, m.i32.add(desc(), m.i32.mul(m.local.get(N, i32), m.i32.const(DESC_SIZE)))),
    m.if(m.i32.lt_u(desc(), m.local.get(END, i32)), m.loop('next', m.block(null, [
      m.global.set(Names.ctx, desc()),
      ...resetTailCalls(),
      ...clearRedirectState(m, redirect),
      m.local.set(ACTION, m.i32.wrap(m.call(entry, [m.i64.extend_u(desc()), zero(), zero(), zero(), zero(), stackTop()], i64))),
      m.i32.store(Desc.ACTION, 4, desc(), m.local.get(ACTION, i32)),
      m.if(m.i32.eq(m.local.get(ACTION, i32), m.i32.const(XdpAction.REDIRECT)), m.block(null,
        REDIRECT_TO_DESC.map(([from, to]) => m.i32.store(to, 4, desc(), m.i32.load(from, 4, redirect()))))),
      m.local.set(DESC, m.i32.add(desc(), m.i32.const(DESC_SIZE))),
      m.br('next', m.i32.lt_u(desc(), m.local.get(END, i32))),
    ]))),
  ]));
  w.exportFunction('run_batch', 'run_batch');
}
