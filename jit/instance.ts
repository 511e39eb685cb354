/**
 * A compiled program instantiated on one CPU against the shared arena, plus the JS side of the helper
 * trampoline (module-abi.ts): wasm stores r1..r5 into this CPU's register scratch in the arena and calls
 * `env.helper`; the HelperImpl reads and writes them through a Uint32Array view on those same bytes, so a
 * helper call allocates nothing.
 */
import type { ExecProgram, HelperCall, HelperImpl, RegHalves } from '../src/vm/exec-types.js';
import { RuntimeFault } from '../src/vm/exec-types.js';
import { ENGINE_PRIVATE, REDIRECT_STATE, STACK_FRAME_SIZE, cpuRegion, stackTop } from '../src/vm/arena-layout.js';
import type { CompiledProgram } from './compile.js';
import { Wasm, type WasmMemory, type WasmTable } from './wasm-api.js';
import {
  MAX_CALL_DEPTH, MTU_MEMO_OFFSET, MtuMemo, REGS_SCRATCH_BYTES, TAIL_CALL_COUNT_OFFSET, TIME_CELL_OFFSET, WALL_NS_OFFSET, subProgramExport,
} from './module-abi.js';
import { ClockHelperId, NS_PER_JIFFY_NUMBER, TimeCell, TimeCellMode, type Clock } from '../src/vm/clock.js';
import { retU64 } from '../src/vm/helpers/helper-env.js';
import { helperArgViolation } from './harden-helper-args.js';
import type { Region } from './harden.js';

const TICK_NS = BigInt(NS_PER_JIFFY_NUMBER);
/** The helpers answered from the time cell once it is published (jit/lower-helper-time.ts). */
const CLOCK_HELPERS: ReadonlySet<number> = new Set(Object.values(ClockHelperId));

export type HelperLookup = (id: number) => HelperImpl | undefined;

export interface JitInstanceOptions {
  /** The arena (shared). */
  readonly memory: WasmMemory;
  readonly cpu: number;
  readonly helpers: HelperLookup;
  /** bpf_tail_call: the target program's instance on this CPU (same memory and CPU). */
  readonly tailCallTarget?: (target: ExecProgram) => JitInstance;
  /** r10 of the outermost frame; default stackTop(cpu). */
  readonly stackTop?: number;
  /** Register scratch address; default cpuRegion(cpu) + ENGINE_PRIVATE. */
  readonly regs?: number;
  /** Redirect state address; default cpuRegion(cpu) + REDIRECT_STATE. */
  readonly redirect?: number;
  /**
   * This CPU's tail-call table (jit/tail-call-table.ts), indexed by program id; default an empty table, so
   * every tail call takes the JS path.
   */
  readonly progTable?: WasmTable;
  /**
   * The runtime's clock, published into this CPU's time cell before each entry into wasm so the clock
   * helpers answer there (jit/lower-helper-time.ts); absent, or a clock without `publish`: the trampoline.
   */
  readonly clock?: Clock;
  /**
   * `--harden`: the value storage of every map of the runtime, by header address. Given, each helper's memory
   * arguments are checked to lie inside one object the program may touch before the helper runs
   * (jit/harden-helper-args.ts).
   */
  readonly helperArgObjects?: ReadonlyMap<number, Region>;
}

interface ProgramExports {
  readonly run_batch: (desc: number, n: number) => void;
  readonly run: (r1: bigint, r2: bigint, ctx: number) => bigint;
  readonly ctx: { value: number };
  readonly [sub: string]: unknown;
}

type SubFunction = (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, r10: bigint) => bigint;

/** One reusable HelperCall per call depth: a helper's callback may itself call helpers one frame deeper. */
class TrampolineCall implements HelperCall {
  ctx = 0;
  insn = 0;
  fp = 0;
  pendingTail: ExecProgram | undefined;

  constructor(readonly owner: JitInstance, readonly regs: RegHalves, readonly cpu: number) {}

  get tailCallCount(): number {
    return this.owner.tailCallCount;
  }

  callback(funcInsn: number, args: readonly bigint[]): bigint {
    return this.owner.callSub(funcInsn, args, this.fp - STACK_FRAME_SIZE, this.insn);
  }

  tailCall(target: ExecProgram): void {
    this.pendingTail = target;
  }
}

export class JitInstance {
  readonly exports: ProgramExports;
  private readonly calls: TrampolineCall[];
  private readonly counter: Uint32Array;
  private readonly timeCell: Uint32Array;
  /** The u64 clock_now writes (module-abi.ts WALL_NS_OFFSET; `regs` is 8-byte aligned, as r0's i64 slot). */
  private readonly wallNs: BigUint64Array;
  private readonly mtuMemo: Uint32Array;
  /** The generator state `enter` published into the time cell. */
  private publishedRand = 0;
  private readonly stackTop: number;
  private pendingTail: ExecProgram | undefined;

  constructor(readonly compiled: CompiledProgram, private readonly options: JitInstanceOptions) {
    const regs = options.regs ?? cpuRegion(options.cpu) + ENGINE_PRIVATE;
    this.stackTop = options.stackTop ?? stackTop(options.cpu);
    const buffer = options.memory.buffer;
    this.calls = Array.from({ length: MAX_CALL_DEPTH }, (_, d) =>
      new TrampolineCall(this, new Uint32Array(buffer, regs + d * REGS_SCRATCH_BYTES, 22), options.cpu));
    this.counter = new Uint32Array(buffer, regs + TAIL_CALL_COUNT_OFFSET, 1);
    this.timeCell = new Uint32Array(buffer, regs + TIME_CELL_OFFSET, TimeCell.SIZE >>> 2);
    this.wallNs = new BigUint64Array(buffer, regs + WALL_NS_OFFSET, 1);
    this.mtuMemo = new Uint32Array(buffer, regs + MTU_MEMO_OFFSET, MtuMemo.SIZE >>> 2);
    const env: Record<string, unknown> = {
      memory: options.memory,
      stack_top: new Wasm.Global({ value: 'i32', mutable: false }, this.stackTop | 0),
      regs: new Wasm.Global({ value: 'i32', mutable: false }, regs),
      cpu: new Wasm.Global({ value: 'i32', mutable: false }, options.cpu),
      redirect: new Wasm.Global({ value: 'i32', mutable: false }, options.redirect ?? cpuRegion(options.cpu) + REDIRECT_STATE),
      helper: (id: number, insn: number, fp: number, ctx: number): number => this.helper(id, insn, fp >>> 0, ctx >>> 0),
      clock_now: (id: number): void => this.clockNow(id),
    };
    if (compiled.usesProgTable) env['progs'] = options.progTable ?? new Wasm.Table({ element: 'anyfunc', initial: 0 });
    if (compiled.blindKey !== undefined) env['blind'] = new Wasm.Global({ value: 'i64', mutable: false }, compiled.blindKey);
    if (compiled.usesTailCall) env['tail_call'] = (fp: number, ctx: number): bigint => this.runTailCall(fp >>> 0, ctx >>> 0);
    const instance = new Wasm.Instance(compiled.module, { env });
    this.exports = instance.exports as unknown as ProgramExports;
  }

  get name(): string {
    return this.compiled.name;
  }

  get tailCallCount(): number {
    return this.counter[0]!;
  }

  /** Runs the program over `n` descriptors starting at arena address `desc` (DESC_SIZE apart). */
  runBatch(desc: number, n: number): void {
    this.enter();
    try {
      this.exports.run_batch(desc, n);
    } finally {
      this.leave();
    }
  }

  /** The descriptor the last run_batch was running (after an exception: the frame that faulted). */
  get currentDesc(): number {
    return this.exports.ctx.value >>> 0;
  }

  /** One run with r1, r2 set and r10 = stack top (the raw entry, design.md §3a); returns r0. */
  run(r1: bigint, r2: bigint, ctx = 0): bigint {
    this.enter();
    try {
      return BigInt.asUintN(64, this.exports.run(r1, r2, ctx));
    } finally {
      this.leave();
    }
  }

  /** Calls sub-program `slot` with r1..r5 = args on the frame whose r10 is `fp`. */
  callSub(slot: number, args: readonly bigint[], fp: number, fromInsn: number): bigint {
    const fn = this.exports[subProgramExport(slot)] as SubFunction | undefined;
    if (fn === undefined) throw new RuntimeFault(`callback target ${slot} is not a sub-program`, fromInsn, this.name);
    if (fp <= this.stackTop - MAX_CALL_DEPTH * STACK_FRAME_SIZE) {
      throw new RuntimeFault(`call depth exceeds ${MAX_CALL_DEPTH} frames`, fromInsn, this.name);
    }
    const a = (k: number): bigint => BigInt.asIntN(64, args[k] ?? 0n);
    return BigInt.asUintN(64, fn(a(0), a(1), a(2), a(3), a(4), BigInt(fp)));
  }

  /** The function a tail call through the program table enters (jit/tail-call-table.ts TAIL_ENTRY). */
  get tailEntry(): unknown {
    return this.exports['tail_entry'];
  }

  /** The tail-call target runs on the caller's ctx and frame (the kernel keeps r1 and the stack). */
  enterTail(ctx: number, fp: number): bigint {
    // The target's own `ctx` global names the frame for its helper calls and its --harden packet bounds.
    this.exports.ctx.value = ctx;
    return (this.exports[subProgramExport(0)] as SubFunction)(BigInt(ctx), 0n, 0n, 0n, 0n, BigInt(fp));
  }

  /**
   * The per-CPU cells the lowered runtime helpers read are shared by every instance on the CPU (they sit at
   * `regs`), so each entry from JS resets them: the time cell to NONE (jit/lower-helper-time.ts), and the
   * check_mtu memo, filled from this runtime's devices, to empty (jit/lower-helper-net.ts). Two stores: a
   * host clock read per entry cost programs that never ask the time ~2 ns/packet. The first clock or
   * prandom helper of the entry then takes the trampoline, which publishes the clock (firstClockCall) so
   * that the entry's later calls, in this module or a tail-call target or chain stage of the same runtime,
   * answer in wasm.
   */
  private enter(): void {
    this.timeCell[TimeCell.MODE >>> 2] = TimeCellMode.NONE;
    this.mtuMemo[MtuMemo.VALID >>> 2] = 0;
  }

  /**
   * After wasm returned (or trapped): the clock takes back the generator state a lowered
   * bpf_get_prandom_u32 advanced; a state wasm left alone is not taken back, as the TS helper may have
   * advanced the clock's own meanwhile.
   */
  private leave(): void {
    const clock = this.options.clock;
    if (clock?.publish !== undefined && this.timeCell[TimeCell.MODE >>> 2] !== TimeCellMode.NONE &&
      this.timeCell[TimeCell.RAND >>> 2] !== this.publishedRand) clock.absorb?.(this.timeCell, 0);
  }

  /**
   * The entry's first clock or prandom helper, with the cell still NONE: publish the clock and answer as
   * the lowered helper would from then on. ktime / boot / prandom run the TS helper first (prandom's
   * generator is published after this call advanced it); coarse and jiffies answer from the published
   * time, so a later call in wasm never reads an earlier tick.
   */
  private firstClockCall(id: number, call: TrampolineCall, impl: HelperImpl, clock: Clock): void {
    const coarse = id === ClockHelperId.KTIME_GET_COARSE_NS;
    if (coarse || id === ClockHelperId.JIFFIES64) {
      clock.publish!(this.timeCell, 0);
      const ns = (BigInt(this.timeCell[(TimeCell.NS >>> 2) + 1]!) << 32n) | BigInt(this.timeCell[TimeCell.NS >>> 2]!);
      retU64(call, coarse ? ns - (ns % TICK_NS) : ns / TICK_NS);
    } else {
      impl(call);
      clock.publish!(this.timeCell, 0);
    }
    this.publishedRand = this.timeCell[TimeCell.RAND >>> 2]!;
  }

  /**
   * `clock_now`: a live clock read for a lowered bpf_ktime_get_ns / boot_ns (the cell says LIVE: the clock
   * published; jit/lower-helper-time.ts). The BigInt stored whole into a BigUint64Array: WallClock's
   * process.hrtime.bigint() that way costs about half of process.hrtime() split into u32 halves
   * (monotonicInto: an array allocated per read), measured 46-58 vs 99-133 ns per read on this machine.
   */
  private clockNow(id: number): void {
    const clock = this.options.clock!;
    this.wallNs[0] = id === ClockHelperId.KTIME_GET_BOOT_NS ? clock.bootNs() : clock.monotonicNs();
  }

  private helper(id: number, insn: number, fp: number, ctx: number): number {
    const impl = this.options.helpers(id);
    if (impl === undefined) throw new RuntimeFault(`unknown helper ${id}`, insn, this.name);
    const depth = (this.stackTop - fp) / STACK_FRAME_SIZE;
    const call = this.calls[depth];
    if (call === undefined) throw new RuntimeFault(`helper call at call depth ${depth}`, insn, this.name);
    call.ctx = ctx;
    call.insn = insn;
    call.fp = fp;
    call.pendingTail = undefined;
    const objects = this.options.helperArgObjects;
    if (objects !== undefined) {
      const why = helperArgViolation(id, call.regs, new Uint32Array(this.options.memory.buffer), ctx, this.stackTop, objects);
      if (why !== undefined) throw new RuntimeFault(`--harden: helper ${id}: ${why}`, insn, this.name);
    }
    const clock = this.options.clock;
    if (CLOCK_HELPERS.has(id) && clock?.publish !== undefined && this.timeCell[TimeCell.MODE >>> 2] === TimeCellMode.NONE) {
      this.firstClockCall(id, call, impl, clock);
      return 0;
    }
    impl(call);
    if (call.pendingTail === undefined) return 0;
    this.pendingTail = call.pendingTail;
    this.counter[0] = this.counter[0]! + 1;
    return 1;
  }

  private runTailCall(fp: number, ctx: number): bigint {
    const target = this.pendingTail;
    this.pendingTail = undefined;
    const resolve = this.options.tailCallTarget;
    if (target === undefined || resolve === undefined) throw new RuntimeFault('tail call without a target resolver', 0, this.name);
    return resolve(target).enterTail(ctx, fp);
  }
}
