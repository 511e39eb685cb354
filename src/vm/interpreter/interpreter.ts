/**
 * The reference interpreter: exact RFC 9669 semantics over the shared arena.
 *
 * - Registers are a RegHalves file (r0..r10 as 32-bit lo/hi words): measured 4–6× faster than BigInt
 *   registers on a loop program (bench/interp-repr.ts), and helpers read their arguments from the same array.
 *   One Interpreter runs one program at a time (register file and frames are reused across runs): use one
 *   per worker/CPU.
 * - Programs are pre-decoded once into typed arrays (prepared.ts) with clang's frequent idioms fused into
 *   superinstructions (superinstructions.ts), cached per ExecProgram object.
 * - Memory: addresses are u32 arena offsets; an access whose address has a nonzero high word or runs past
 *   the arena is a RuntimeFault (never a JS RangeError). With an AccessChecker (checked mode, design.md
 *   §3a) every load, store and atomic is checked before it happens.
 * - Calls: helpers by id through the lookup (unknown id: RuntimeFault); bpf-to-bpf calls push a frame
 *   (r6–r9 callee-saved, r10 = caller's r10 − 512, at most 8 frames as the kernel's MAX_CALL_FRAMES);
 *   `callx` (non-kernel extension, bpf_conformance) calls the helper whose id the register holds;
 *   callbacks (bpf_loop...) run a sub-program of the current program on a new frame; a tail call
 *   replaces the program of the current frame after the helper returns.
 */
import type { AccessChecker, ExecProgram, HelperCall, HelperImpl, RegHalves } from '../exec-types.js';
import { REG_HALVES, RuntimeFault } from '../exec-types.js';
import { STACK_FRAME_SIZE, STACK_FRAMES } from '../arena-layout.js';
import {
  bswap16, bswap32, div64, mod64, sdiv64, setBig, smod64, toBig,
} from './halves.js';
import { AtomicVariant, prepareProgram, type PreparedProgram } from './prepared.js';
import { fuseSuperinstructions } from './superinstructions.js';

/**
 * Address of a `size`-byte access at r[s] + o, or -1 when it is not inside [0, limit). The hot loop has
 * this check written out inline (the switch is too large for TurboFan to inline calls).
 */
function effectiveAddress(r: Uint32Array, s: number, o: number, size: number, limit: number): number {
  const a = r[s]! + o;
  return r[s + 1] === 0 && a >= 0 && a + size <= limit ? a : -1;
}

/**
 * The part of `WebAssembly.Memory` the interpreter reads (the project's `lib` has no WebAssembly
 * namespace); a real shared `WebAssembly.Memory` satisfies it.
 */
export interface InterpreterMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

export interface InterpreterOptions {
  readonly checker?: AccessChecker;
  /**
   * Instructions one run (or one callback) may execute; default and maximum 2^31 - 1 (an int counter costs
   * ≈0–9% in A/B runs, a float one 60%). The run faults at the first taken jump or bpf-to-bpf call after
   * the budget is spent, so a run may pass it by at most one straight-line stretch of the program. Verified
   * programs terminate; a verifier fuzzer's oracle sets a small budget so that a wrongly accepted loop
   * cannot hang it.
   */
  readonly maxInsns?: number;
}

export interface RunArgs {
  readonly r1: bigint | number;
  readonly r2?: bigint | number;
  /** Arena address of the frame descriptor (xdp_md), 0 in the raw entry. */
  readonly ctx: number;
  readonly cpu: number;
  /** r10 of the outermost frame. */
  readonly stackTop: number;
}

const R0 = 0, R1 = 2, R6 = 12, R10 = 20;

/** The HelperCall a helper sees; one per interpreter, reset per run, its `insn` updated at each call. */
class CallState implements HelperCall {
  cpu = 0;
  ctx = 0;
  insn = 0;
  tailCallCount = 0;
  pendingTail: ExecProgram | undefined;
  depth = 0;
  prog!: PreparedProgram;
  constructor(readonly regs: RegHalves, private readonly interp: Interpreter) {}
  reset(cpu: number, ctx: number): void {
    this.cpu = cpu;
    this.ctx = ctx;
    this.insn = 0;
    this.tailCallCount = 0;
    this.pendingTail = undefined;
    this.depth = 0;
  }
  callback(funcInsn: number, args: readonly bigint[]): bigint {
    return this.interp.runCallback(this, funcInsn, args);
  }
  tailCall(target: ExecProgram): void {
    this.pendingTail = target;
  }
}

/** Register argument: a non-negative safe integer needs no BigInt; anything else is taken modulo 2^64. */
function setArg(r: Uint32Array, d: number, v: bigint | number): void {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
    r[d] = v % 0x1_0000_0000;
    r[d + 1] = Math.floor(v / 0x1_0000_0000);
  } else {
    setBig(r, d, BigInt.asUintN(64, BigInt(v)));
  }
}

export class Interpreter {
  private readonly prepared = new WeakMap<ExecProgram, PreparedProgram>();
  private lastProg: ExecProgram | undefined;
  private lastPrepared: PreparedProgram | undefined;
  private readonly checker: AccessChecker | undefined;
  private readonly maxInsns: number;
  private u8!: Uint8Array;
  /**
   * The arena's byte length when the views were made. Kept in a field because a typed array's `byteLength`
   * over a wasm memory's SharedArrayBuffer costs ≈20 ns per read in Node 20 (a runtime call), which was a
   * fifth of an empty program's run.
   */
  private limit = 0;
  private dv!: DataView;
  private i32!: Int32Array;
  private i64!: BigInt64Array;
  // Per-run state, reused across runs (run() is not re-entered by helpers; callbacks nest on deeper frames).
  private readonly regs = new Uint32Array(REG_HALVES);
  /** The same registers as int32 words, for the run loop (see loop). */
  private readonly ri = new Int32Array(this.regs.buffer);
  private readonly call = new CallState(this.regs, this);
  private readonly frameRet = new Int32Array(STACK_FRAMES);
  private readonly frameSaved = new Uint32Array(STACK_FRAMES * 10);
  private readonly frameProg: PreparedProgram[] = [];
  /**
   * Instructions executed by the runs (and callbacks) that exited normally since construction: one add per
   * exit, for benches that report ns per executed instruction.
   */
  executedInsns = 0;

  constructor(
    private readonly mem: InterpreterMemory,
    private readonly helpers: (id: number) => HelperImpl | undefined,
    opts: InterpreterOptions = {},
  ) {
    this.checker = opts.checker;
    this.maxInsns = Math.min(opts.maxInsns ?? 0x7fffffff, 0x7fffffff);
    this.refreshViews();
  }

  /**
   * Rebuild the views when the arena has grown (a grown shared memory hands out a new, longer buffer).
   * Reading `mem.buffer` is costly, so this runs at construction and on the cold path of an access that
   * falls outside the current views, never per run.
   */
  private refreshViews(): void {
    const buf = this.mem.buffer;
    if (this.u8 !== undefined && this.limit === buf.byteLength) return;
    this.u8 = new Uint8Array(buf);
    this.limit = buf.byteLength;
    this.dv = new DataView(buf);
    this.i32 = new Int32Array(buf, 0, buf.byteLength >>> 2);
    this.i64 = new BigInt64Array(buf, 0, buf.byteLength >>> 3);
  }

  prepare(prog: ExecProgram): PreparedProgram {
    if (prog === this.lastProg) return this.lastPrepared!;
    let p = this.prepared.get(prog);
    if (p === undefined) {
      p = fuseSuperinstructions(prepareProgram(prog));
      this.prepared.set(prog, p);
    }
    this.lastProg = prog;
    this.lastPrepared = p;
    return p;
  }

  /** Run `prog` from slot 0; returns r0 as an unsigned 64-bit value. Throws RuntimeFault. */
  run(prog: ExecProgram, args: RunArgs): bigint {
    this.execute(prog, args);
    const regs = this.regs;
    return regs[R0 + 1] === 0 ? BigInt(regs[R0]!) : toBig(regs[R0]!, regs[R0 + 1]!);
  }

  /**
   * Run `prog` and return the low 32 bits of r0 as a number: the XDP action, without allocating a BigInt
   * per packet. Throws RuntimeFault.
   */
  runAction(prog: ExecProgram, args: RunArgs): number {
    this.execute(prog, args);
    return this.regs[R0]!;
  }

  private execute(prog: ExecProgram, args: RunArgs): void {
    const regs = this.regs;
    // Registers start at zero so that an unverified program reading one it never set is deterministic.
    // Written out: a 22-iteration loop here measured ≈40 ns per run (half of an empty program's run),
    // regs.fill(0) ≈30 ns, the unrolled stores ≈2 ns (bench/interp-per-insn.ts, xdp_pass row).
    regs[0] = 0; regs[1] = 0; regs[2] = 0; regs[3] = 0; regs[4] = 0; regs[5] = 0; regs[6] = 0; regs[7] = 0;
    regs[8] = 0; regs[9] = 0; regs[10] = 0; regs[11] = 0; regs[12] = 0; regs[13] = 0; regs[14] = 0; regs[15] = 0;
    regs[16] = 0; regs[17] = 0; regs[18] = 0; regs[19] = 0; regs[20] = 0; regs[21] = 0;
    const { r1, r2 } = args;
    // r1 is nearly always an arena address: a u32 number needs no conversion.
    if (typeof r1 === 'number' && r1 >= 0 && r1 <= 0xffffffff) regs[R1] = r1;
    else setArg(regs, R1, r1);
    if (r2 !== undefined) setArg(regs, R1 + 2, r2);
    regs[R10] = args.stackTop;
    const call = this.call;
    call.reset(args.cpu, args.ctx);
    this.exec(call, this.prepare(prog), 0, 0);
  }

  /** HelperCall.callback: run slot `funcInsn` of the current program on a new frame, registers restored after. */
  runCallback(call: CallState, funcInsn: number, args: readonly bigint[]): bigint {
    const r = call.regs;
    const depth = call.depth + 1;
    const prog = call.prog;
    const insn = call.insn;
    if (depth >= STACK_FRAMES) throw new RuntimeFault('call stack too deep (callback)', insn, prog.prog.name);
    const saved = r.slice();
    for (let k = 0; k < 5; k++) setArg(r, R1 + 2 * k, args[k] ?? 0n);
    r[R10] = saved[R10]! - STACK_FRAME_SIZE;
    r[R10 + 1] = 0;
    this.exec(call, prog, funcInsn, depth);
    const result = toBig(r[R0]!, r[R0 + 1]!);
    r.set(saved);
    call.insn = insn;
    call.depth = depth - 1;
    call.prog = prog;
    return result;
  }

  private fault(p: PreparedProgram, pc: number, message: string): never {
    throw new RuntimeFault(message, pc, p.prog.name);
  }

  private overBudget(p: PreparedProgram, pc: number): never {
    this.fault(p, pc, `more than ${this.maxInsns} instructions executed`);
  }

  /**
   * Cold path of an access outside the current views: the arena may have grown since they were made, so
   * refresh them; the caller re-runs the instruction with the new views if the access is inside now,
   * otherwise it is a RuntimeFault.
   */
  private regrow(r: Uint32Array, p: PreparedProgram, pc: number, s: number, off: number, size: number): void {
    this.refreshViews();
    if (effectiveAddress(r, s, off, size, this.limit) >= 0) return;
    const at = BigInt.asUintN(64, toBig(r[s]!, r[s + 1]!) + BigInt(off));
    this.fault(p, pc, `${size}-byte access at 0x${at.toString(16)} is outside the arena (${this.limit} bytes)`);
  }

  /** Where `loop` stopped when it returned a program to continue with (or undefined: the frame exited). */
  private resumePc = 0;
  private resumeDepth = 0;
  private resumeBudget = 0;

  private resume(p: PreparedProgram, pc: number, depth: number, budget: number): PreparedProgram {
    this.resumePc = pc;
    this.resumeDepth = depth;
    this.resumeBudget = budget;
    return p;
  }

  /**
   * Execute from `startPc` on frame `baseDepth` until that frame exits. `loop` runs with the program's code
   * and the arena views as constants: a tail call, a return into a frame of another program, or a grown
   * arena makes it return, and it is re-entered with the new ones (the code array in a mutable variable of
   * the loop cost 35% per instruction in a reduced interpreter, since V8 then re-derives its backing store
   * every step).
   */
  private exec(call: CallState, start: PreparedProgram, startPc: number, baseDepth: number): void {
    let p: PreparedProgram | undefined = start;
    let pc = startPc;
    let depth = baseDepth;
    let budget = this.maxInsns | 0;
    for (;;) {
      p = this.loop(call, p, pc, depth, baseDepth, budget);
      budget = this.resumeBudget;
      if (p === undefined) break;
      pc = this.resumePc;
      depth = this.resumeDepth;
    }
    this.executedInsns += this.maxInsns - budget;
  }

  /**
   * The interpreter proper: runs `p` from `pc` until frame `baseDepth` exits (returns undefined) or the
   * program or the arena views change (returns the program to continue with, see exec). bpf-to-bpf frames
   * pushed on the way are kept in the interpreter's frame arrays.
   *
   * Registers are read and written through `ri`, an Int32Array over the RegHalves buffer: V8 keeps int32
   * values in machine registers, whereas a Uint32Array element above 2^31 becomes a float64 and every
   * operation on it a conversion. Unsigned meaning is recovered only where it matters (`>>> 0` in unsigned
   * comparisons, divisions and address arithmetic); stores wrap modulo 2^32 either way.
   */
  private loop(call: CallState, p: PreparedProgram, pc: number, depth: number, baseDepth: number, budget: number): PreparedProgram | undefined {
    const code = p.code;
    const u = this.regs;
    const r = this.ri;
    const checker = this.checker;
    const dv = this.dv;
    const u8 = this.u8;
    const limit = this.limit;
    let a = 0;
    let x = 0;
    // Instruction count: `k` is the budget left plus the slot where the current straight-line stretch began,
    // modulo 2^32, so a stretch costs nothing until control leaves it: a taken jump, call or exit from slot
    // i to t does k += t - (i + 1), and the budget left is k - t. Checked at taken jumps and bpf-to-bpf
    // calls only, where control can come back. A per-instruction decrement cost 18% on the hash loop.
    let k = (budget + pc) | 0;

    // Word 1..3 of slot i are code[b | 1..3] (b = 4i): an or needs no overflow check, an add does. `pc` and
    // `k` stay int32 (`| 0`), so V8 keeps them untagged in registers.
    pc |= 0;
    for (;;) {
      const i = pc;
      pc = (i + 1) | 0;
      const b = i << 2;
      const w = code[b]!;
      const d = (w >> 8) & 0xff;
      const s = (w >> 16) & 0xff;
      switch (w & 0xff) {
        // ---- ALU (32-bit: result zero-extended, RFC 9669 §4.1) ----
        case 0x04: r[d] = r[d]! + code[b | 2]!; r[d + 1] = 0; break;
        case 0x0c: r[d] = r[d]! + r[s]!; r[d + 1] = 0; break;
        case 0x14: r[d] = r[d]! - code[b | 2]!; r[d + 1] = 0; break;
        case 0x1c: r[d] = r[d]! - r[s]!; r[d + 1] = 0; break;
        case 0x24: r[d] = Math.imul(r[d]!, code[b | 2]!); r[d + 1] = 0; break;
        case 0x2c: r[d] = Math.imul(r[d]!, r[s]!); r[d + 1] = 0; break;
        // Division by zero yields 0 (RFC 9669 §4.1).
        case 0x34: { const y = code[b | 2]! >>> 0; r[d] = y === 0 ? 0 : Math.floor((r[d]! >>> 0) / y); r[d + 1] = 0; break; }
        case 0x3c: { const y = r[s]! >>> 0; r[d] = y === 0 ? 0 : Math.floor((r[d]! >>> 0) / y); r[d + 1] = 0; break; }
        case 0x02: x = code[b | 2]!; r[d] = x === 0 ? 0 : Math.trunc(r[d]! / x); r[d + 1] = 0; break;
        case 0x0a: x = r[s]!; r[d] = x === 0 ? 0 : Math.trunc(r[d]! / x); r[d + 1] = 0; break;
        case 0x44: r[d] = r[d]! | code[b | 2]!; r[d + 1] = 0; break;
        case 0x4c: r[d] = r[d]! | r[s]!; r[d + 1] = 0; break;
        case 0x54: r[d] = r[d]! & code[b | 2]!; r[d + 1] = 0; break;
        case 0x5c: r[d] = r[d]! & r[s]!; r[d + 1] = 0; break;
        case 0x64: r[d] = r[d]! << (code[b | 2]! & 31); r[d + 1] = 0; break;
        case 0x6c: r[d] = r[d]! << (r[s]! & 31); r[d + 1] = 0; break;
        case 0x74: r[d] = r[d]! >>> (code[b | 2]! & 31); r[d + 1] = 0; break;
        case 0x7c: r[d] = r[d]! >>> (r[s]! & 31); r[d + 1] = 0; break;
        case 0x84: r[d] = -r[d]! | 0; r[d + 1] = 0; break;
        // Modulo by zero leaves the dividend, truncated to 32 bits for the 32-bit forms.
        case 0x94: { const y = code[b | 2]! >>> 0; if (y !== 0) r[d] = (r[d]! >>> 0) % y; r[d + 1] = 0; break; }
        case 0x9c: { const y = r[s]! >>> 0; if (y !== 0) r[d] = (r[d]! >>> 0) % y; r[d + 1] = 0; break; }
        case 0x22: x = code[b | 2]!; if (x !== 0) r[d] = r[d]! % x; r[d + 1] = 0; break;
        case 0x2a: x = r[s]!; if (x !== 0) r[d] = r[d]! % x; r[d + 1] = 0; break;
        case 0xa4: r[d] = r[d]! ^ code[b | 2]!; r[d + 1] = 0; break;
        case 0xac: r[d] = r[d]! ^ r[s]!; r[d + 1] = 0; break;
        case 0xb4: r[d] = code[b | 2]!; r[d + 1] = 0; break;
        case 0xbc: r[d] = r[s]!; r[d + 1] = 0; break;
        case 0x42: r[d] = (r[s]! << 24) >> 24; r[d + 1] = 0; break;
        case 0x4a: r[d] = (r[s]! << 16) >> 16; r[d + 1] = 0; break;
        case 0xc4: r[d] = r[d]! >> (code[b | 2]! & 31); r[d + 1] = 0; break;
        case 0xcc: r[d] = r[d]! >> (r[s]! & 31); r[d + 1] = 0; break;
        // END: le on a little-endian machine only truncates; be swaps (RFC 9669 §4.2).
        case 0x8a: r[d] = r[d]! & 0xffff; r[d + 1] = 0; break;
        case 0x92: r[d + 1] = 0; break;
        case 0x9a: break;
        case 0xa2: r[d] = bswap16(r[d]!); r[d + 1] = 0; break;
        case 0xaa: r[d] = bswap32(r[d]!); r[d + 1] = 0; break;
        case 0xb2: x = r[d]!; r[d] = bswap32(r[d + 1]!); r[d + 1] = bswap32(x); break;

        // ---- ALU64 ----
        // Written out inline (the switch is too large for TurboFan to inline calls). A carry out of the low
        // word shows as an unsigned wrap-around of the sum below an addend; a borrow as minuend < subtrahend.
        case 0x07: x = r[d]!; a = (x + code[b | 2]!) | 0; r[d] = a; r[d + 1] = r[d + 1]! + code[b | 3]! + ((a >>> 0) < (x >>> 0) ? 1 : 0); break;
        case 0x0f: x = r[d]!; a = (x + r[s]!) | 0; r[d] = a; r[d + 1] = r[d + 1]! + r[s + 1]! + ((a >>> 0) < (x >>> 0) ? 1 : 0); break;
        case 0x17: x = code[b | 2]!; r[d + 1] = r[d + 1]! - code[b | 3]! - ((r[d]! >>> 0) < (x >>> 0) ? 1 : 0); r[d] = r[d]! - x; break;
        case 0x1f: x = r[s]!; r[d + 1] = r[d + 1]! - r[s + 1]! - ((r[d]! >>> 0) < (x >>> 0) ? 1 : 0); r[d] = r[d]! - x; break;
        // Low 64 bits of the product (wraps): the 32×32 low-word product in 16-bit parts to stay exact.
        case 0x27: case 0x2f: {
          const isX = (w & 0x08) !== 0;
          const alo = r[d]!, ahi = r[d + 1]!;
          const blo = isX ? r[s]! : code[b | 2]!, bhi = isX ? r[s + 1]! : code[b | 3]!;
          const a0 = alo & 0xffff, a1 = alo >>> 16, b0 = blo & 0xffff, b1 = blo >>> 16;
          const p00 = Math.imul(a0, b0) >>> 0, p01 = Math.imul(a0, b1) >>> 0, p10 = Math.imul(a1, b0) >>> 0;
          const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
          r[d] = (mid << 16) | (p00 & 0xffff);
          r[d + 1] = Math.imul(a1, b1) + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(alo, bhi) + Math.imul(ahi, blo);
          break;
        }
        case 0x37: div64(u, d, code[b | 2]! >>> 0, code[b | 3]! >>> 0); break;
        case 0x3f: div64(u, d, u[s]!, u[s + 1]!); break;
        case 0x12: sdiv64(u, d, code[b | 2]! >>> 0, code[b | 3]! >>> 0); break;
        case 0x1a: sdiv64(u, d, u[s]!, u[s + 1]!); break;
        case 0x47: r[d] = r[d]! | code[b | 2]!; r[d + 1] = r[d + 1]! | code[b | 3]!; break;
        case 0x4f: r[d] = r[d]! | r[s]!; r[d + 1] = r[d + 1]! | r[s + 1]!; break;
        case 0x57: r[d] = r[d]! & code[b | 2]!; r[d + 1] = r[d + 1]! & code[b | 3]!; break;
        case 0x5f: r[d] = r[d]! & r[s]!; r[d + 1] = r[d + 1]! & r[s + 1]!; break;
        // 64-bit shifts, count masked to 6 bits.
        case 0x67: case 0x6f:
          x = ((w & 0x08) !== 0 ? r[s]! : code[b | 2]!) & 63;
          if (x >= 32) {
            r[d + 1] = r[d]! << (x - 32);
            r[d] = 0;
          } else if (x !== 0) {
            r[d + 1] = (r[d + 1]! << x) | (r[d]! >>> (32 - x));
            r[d] = r[d]! << x;
          }
          break;
        case 0x77: case 0x7f:
          x = ((w & 0x08) !== 0 ? r[s]! : code[b | 2]!) & 63;
          if (x >= 32) {
            r[d] = r[d + 1]! >>> (x - 32);
            r[d + 1] = 0;
          } else if (x !== 0) {
            r[d] = (r[d]! >>> x) | (r[d + 1]! << (32 - x));
            r[d + 1] = r[d + 1]! >>> x;
          }
          break;
        case 0xc7: case 0xcf:
          x = ((w & 0x08) !== 0 ? r[s]! : code[b | 2]!) & 63;
          if (x >= 32) {
            r[d] = r[d + 1]! >> (x - 32);
            r[d + 1] = r[d + 1]! >> 31;
          } else if (x !== 0) {
            r[d] = (r[d]! >>> x) | (r[d + 1]! << (32 - x));
            r[d + 1] = r[d + 1]! >> x;
          }
          break;
        case 0x87: x = r[d]!; r[d] = -x | 0; r[d + 1] = ~r[d + 1]! + (x === 0 ? 1 : 0); break;
        case 0x97: mod64(u, d, code[b | 2]! >>> 0, code[b | 3]! >>> 0); break;
        case 0x9f: mod64(u, d, u[s]!, u[s + 1]!); break;
        case 0x32: smod64(u, d, code[b | 2]! >>> 0, code[b | 3]! >>> 0); break;
        case 0x3a: smod64(u, d, u[s]!, u[s + 1]!); break;
        case 0xa7: r[d] = r[d]! ^ code[b | 2]!; r[d + 1] = r[d + 1]! ^ code[b | 3]!; break;
        case 0xaf: r[d] = r[d]! ^ r[s]!; r[d + 1] = r[d + 1]! ^ r[s + 1]!; break;
        case 0xb7: r[d] = code[b | 2]!; r[d + 1] = code[b | 3]!; break;
        case 0xbf: r[d] = r[s]!; r[d + 1] = r[s + 1]!; break;
        case 0x52: x = (r[s]! << 24) >> 24; r[d] = x; r[d + 1] = x >> 31; break;
        case 0x5a: x = (r[s]! << 16) >> 16; r[d] = x; r[d + 1] = x >> 31; break;
        case 0x82: x = r[s]!; r[d] = x; r[d + 1] = x >> 31; break;

        // ---- Superinstructions (superinstructions.ts): the later slots' words are read in place ----
        case 0xca: // MOV_ADD64_K
          x = r[s]!; a = (x + code[b + 6]!) | 0;
          r[d + 1] = r[s + 1]! + code[b + 7]! + ((a >>> 0) < (x >>> 0) ? 1 : 0); r[d] = a;
          pc++;
          break;
        case 0x88: { // MOV_ADD64_K_JGT_X
          x = r[s]!; a = (x + code[b + 6]!) | 0;
          r[d + 1] = r[s + 1]! + code[b + 7]! + ((a >>> 0) < (x >>> 0) ? 1 : 0); r[d] = a;
          pc += 2;
          const t = (code[b + 8]! >> 16) & 0xff;
          if ((r[d + 1]! >>> 0) > (r[t + 1]! >>> 0) || (r[d + 1] === r[t + 1] && (a >>> 0) > (r[t]! >>> 0))) { x = code[b + 9]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i + 2); }
          break;
        }
        case 0x90: { // ADD64_K_JGT_X
          x = r[d]!; a = (x + code[b | 2]!) | 0;
          r[d + 1] = r[d + 1]! + code[b | 3]! + ((a >>> 0) < (x >>> 0) ? 1 : 0); r[d] = a;
          pc++;
          const t = (code[b + 4]! >> 16) & 0xff;
          if ((r[d + 1]! >>> 0) > (r[t + 1]! >>> 0) || (r[d + 1] === r[t + 1] && (a >>> 0) > (r[t]! >>> 0))) { x = code[b + 5]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i + 1); }
          break;
        }
        case 0x08: { // MOV_ADD64_X
          const t = (code[b + 4]! >> 16) & 0xff;
          x = r[s]!; a = (x + r[t]!) | 0;
          r[d + 1] = r[s + 1]! + r[t + 1]! + ((a >>> 0) < (x >>> 0) ? 1 : 0); r[d] = a;
          pc++;
          break;
        }
        case 0x10: // MOV_RSH64_K
          x = code[b + 6]! & 63;
          if (x >= 32) {
            r[d] = r[s + 1]! >>> (x - 32);
            r[d + 1] = 0;
          } else if (x !== 0) {
            r[d] = (r[s]! >>> x) | (r[s + 1]! << (32 - x));
            r[d + 1] = r[s + 1]! >>> x;
          } else {
            r[d] = r[s]!;
            r[d + 1] = r[s + 1]!;
          }
          pc++;
          break;
        case 0x60: // MOV_LSH64_K
          x = code[b + 6]! & 63;
          if (x >= 32) {
            r[d + 1] = r[s]! << (x - 32);
            r[d] = 0;
          } else if (x !== 0) {
            r[d + 1] = (r[s + 1]! << x) | (r[s]! >>> (32 - x));
            r[d] = r[s]! << x;
          } else {
            r[d] = r[s]!;
            r[d + 1] = r[s + 1]!;
          }
          pc++;
          break;
        case 0x70: // ADD64_K_JA
          x = r[d]!; a = (x + code[b | 2]!) | 0;
          r[d + 1] = r[d + 1]! + code[b | 3]! + ((a >>> 0) < (x >>> 0) ? 1 : 0); r[d] = a;
          pc++;
          x = code[b + 5]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i + 1);
          break;
        case 0x78: // AND64_K_JEQ_K
          r[d] = r[d]! & code[b | 2]!; r[d + 1] = r[d + 1]! & code[b | 3]!;
          pc++;
          if (r[d] === code[b + 6] && r[d + 1] === code[b + 7]) { x = code[b + 5]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i + 1); }
          break;
        case 0x80: // AND64_K_JNE_K
          r[d] = r[d]! & code[b | 2]!; r[d + 1] = r[d + 1]! & code[b | 3]!;
          pc++;
          if (r[d] !== code[b + 6] || r[d + 1] !== code[b + 7]) { x = code[b + 5]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i + 1); }
          break;
        case 0x98: // LDXH_BE16: a big-endian read is the load and the swap
          x = r[s]!; a = x + code[b | 1]!;
          if (r[s + 1] !== 0 || x < 0 || a < 0 || a + 2 > limit) { this.regrow(u, p, i, s, code[b | 1]!, 2); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 2, false, i);
          r[d] = dv.getUint16(a); r[d + 1] = 0;
          pc++;
          break;
        case 0xa0: // LDXW_BE32
          x = r[s]!; a = x + code[b | 1]!;
          if (r[s + 1] !== 0 || x < 0 || a < 0 || a + 4 > limit) { this.regrow(u, p, i, s, code[b | 1]!, 4); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 4, false, i);
          r[d] = dv.getInt32(a); r[d + 1] = 0;
          pc++;
          break;

        // ---- LD_IMM64 (constant pre-resolved) ----
        case 0x18: r[d] = code[b | 2]!; r[d + 1] = code[b | 3]!; pc++; k = (k + 1) | 0; break;

        // ---- LDX / LDX MEMSX (RFC 9669 §5.2: zero- or sign-extended to 64 bits) ----
        // The address is base + off as a 64-bit sum. The inline test accepts a base below 2^31 with a zero
        // high word and a sum inside the views; anything else takes regrow, which redoes it exactly.
        case 0x71:
          x = r[s]!; a = x + code[b | 1]!;
          if (r[s + 1] !== 0 || x < 0 || a < 0 || a + 1 > limit) { this.regrow(u, p, i, s, code[b | 1]!, 1); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 1, false, i);
          r[d] = u8[a]!; r[d + 1] = 0;
          break;
        case 0x69:
          x = r[s]!; a = x + code[b | 1]!;
          if (r[s + 1] !== 0 || x < 0 || a < 0 || a + 2 > limit) { this.regrow(u, p, i, s, code[b | 1]!, 2); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 2, false, i);
          r[d] = dv.getUint16(a, true); r[d + 1] = 0;
          break;
        case 0x61:
          x = r[s]!; a = x + code[b | 1]!;
          if (r[s + 1] !== 0 || x < 0 || a < 0 || a + 4 > limit) { this.regrow(u, p, i, s, code[b | 1]!, 4); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 4, false, i);
          r[d] = dv.getInt32(a, true); r[d + 1] = 0;
          break;
        case 0x79:
          x = r[s]!; a = x + code[b | 1]!;
          if (r[s + 1] !== 0 || x < 0 || a < 0 || a + 8 > limit) { this.regrow(u, p, i, s, code[b | 1]!, 8); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 8, false, i);
          r[d] = dv.getInt32(a, true); r[d + 1] = dv.getInt32(a + 4, true);
          break;
        case 0x91:
          x = r[s]!; a = x + code[b | 1]!;
          if (r[s + 1] !== 0 || x < 0 || a < 0 || a + 1 > limit) { this.regrow(u, p, i, s, code[b | 1]!, 1); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 1, false, i);
          x = dv.getInt8(a); r[d] = x; r[d + 1] = x >> 31;
          break;
        case 0x89:
          x = r[s]!; a = x + code[b | 1]!;
          if (r[s + 1] !== 0 || x < 0 || a < 0 || a + 2 > limit) { this.regrow(u, p, i, s, code[b | 1]!, 2); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 2, false, i);
          x = dv.getInt16(a, true); r[d] = x; r[d + 1] = x >> 31;
          break;
        case 0x81:
          x = r[s]!; a = x + code[b | 1]!;
          if (r[s + 1] !== 0 || x < 0 || a < 0 || a + 4 > limit) { this.regrow(u, p, i, s, code[b | 1]!, 4); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 4, false, i);
          x = dv.getInt32(a, true); r[d] = x; r[d + 1] = x >> 31;
          break;

        // ---- ST / STX ----
        case 0x72:
          x = r[d]!; a = x + code[b | 1]!;
          if (r[d + 1] !== 0 || x < 0 || a < 0 || a + 1 > limit) { this.regrow(u, p, i, d, code[b | 1]!, 1); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 1, true, i);
          u8[a] = code[b | 2]!;
          break;
        case 0x6a:
          x = r[d]!; a = x + code[b | 1]!;
          if (r[d + 1] !== 0 || x < 0 || a < 0 || a + 2 > limit) { this.regrow(u, p, i, d, code[b | 1]!, 2); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 2, true, i);
          dv.setInt16(a, code[b | 2]!, true);
          break;
        case 0x62:
          x = r[d]!; a = x + code[b | 1]!;
          if (r[d + 1] !== 0 || x < 0 || a < 0 || a + 4 > limit) { this.regrow(u, p, i, d, code[b | 1]!, 4); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 4, true, i);
          dv.setInt32(a, code[b | 2]!, true);
          break;
        case 0x7a:
          x = r[d]!; a = x + code[b | 1]!;
          if (r[d + 1] !== 0 || x < 0 || a < 0 || a + 8 > limit) { this.regrow(u, p, i, d, code[b | 1]!, 8); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 8, true, i);
          dv.setInt32(a, code[b | 2]!, true); dv.setInt32(a + 4, code[b | 3]!, true);
          break;
        case 0x73:
          x = r[d]!; a = x + code[b | 1]!;
          if (r[d + 1] !== 0 || x < 0 || a < 0 || a + 1 > limit) { this.regrow(u, p, i, d, code[b | 1]!, 1); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 1, true, i);
          u8[a] = r[s]!;
          break;
        case 0x6b:
          x = r[d]!; a = x + code[b | 1]!;
          if (r[d + 1] !== 0 || x < 0 || a < 0 || a + 2 > limit) { this.regrow(u, p, i, d, code[b | 1]!, 2); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 2, true, i);
          dv.setInt16(a, r[s]!, true);
          break;
        case 0x63:
          x = r[d]!; a = x + code[b | 1]!;
          if (r[d + 1] !== 0 || x < 0 || a < 0 || a + 4 > limit) { this.regrow(u, p, i, d, code[b | 1]!, 4); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 4, true, i);
          dv.setInt32(a, r[s]!, true);
          break;
        case 0x7b:
          x = r[d]!; a = x + code[b | 1]!;
          if (r[d + 1] !== 0 || x < 0 || a < 0 || a + 8 > limit) { this.regrow(u, p, i, d, code[b | 1]!, 8); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 8, true, i);
          dv.setInt32(a, r[s]!, true); dv.setInt32(a + 4, r[s + 1]!, true);
          break;

        // ---- BPF_ATOMIC (RFC 9669 §5.3) ----
        case 0xc3:
          x = r[d]!; a = x + code[b | 1]!;
          if (r[d + 1] !== 0 || x < 0 || a < 0 || a + 4 > limit) { this.regrow(u, p, i, d, code[b | 1]!, 4); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 4, true, i);
          this.atomic32(u, (w >>> 24), a, s);
          break;
        case 0xdb:
          x = r[d]!; a = x + code[b | 1]!;
          if (r[d + 1] !== 0 || x < 0 || a < 0 || a + 8 > limit) { this.regrow(u, p, i, d, code[b | 1]!, 8); return this.resume(p, i, depth, (k - i) | 0); }
          if (checker !== undefined) checker.check(a, 8, true, i);
          this.atomic64(u, (w >>> 24), a, s);
          break;

        // ---- JMP / JMP32: word 1 holds the absolute target slot (prepared.ts) ----
        // 64-bit comparisons: high words first (signed or unsigned), then the low words unsigned.
        case 0x05: case 0x06: x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); break;
        case 0x15: if (r[d] === code[b | 2] && r[d + 1] === code[b | 3]) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x1d: if (r[d] === r[s] && r[d + 1] === r[s + 1]) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x55: if (r[d] !== code[b | 2] || r[d + 1] !== code[b | 3]) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x5d: if (r[d] !== r[s] || r[d + 1] !== r[s + 1]) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x45: if ((r[d]! & code[b | 2]!) !== 0 || (r[d + 1]! & code[b | 3]!) !== 0) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x4d: if ((r[d]! & r[s]!) !== 0 || (r[d + 1]! & r[s + 1]!) !== 0) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        // JGT / JGE / JLT / JLE (unsigned)
        case 0x25: if ((r[d + 1]! >>> 0) > (code[b | 3]! >>> 0) || (r[d + 1] === code[b | 3] && (r[d]! >>> 0) > (code[b | 2]! >>> 0))) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x2d: if ((r[d + 1]! >>> 0) > (r[s + 1]! >>> 0) || (r[d + 1] === r[s + 1] && (r[d]! >>> 0) > (r[s]! >>> 0))) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x35: if (!((code[b | 3]! >>> 0) > (r[d + 1]! >>> 0) || (code[b | 3] === r[d + 1] && (code[b | 2]! >>> 0) > (r[d]! >>> 0)))) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x3d: if (!((r[s + 1]! >>> 0) > (r[d + 1]! >>> 0) || (r[s + 1] === r[d + 1] && (r[s]! >>> 0) > (r[d]! >>> 0)))) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0xa5: if ((code[b | 3]! >>> 0) > (r[d + 1]! >>> 0) || (code[b | 3] === r[d + 1] && (code[b | 2]! >>> 0) > (r[d]! >>> 0))) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0xad: if ((r[s + 1]! >>> 0) > (r[d + 1]! >>> 0) || (r[s + 1] === r[d + 1] && (r[s]! >>> 0) > (r[d]! >>> 0))) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0xb5: if (!((r[d + 1]! >>> 0) > (code[b | 3]! >>> 0) || (r[d + 1] === code[b | 3] && (r[d]! >>> 0) > (code[b | 2]! >>> 0)))) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0xbd: if (!((r[d + 1]! >>> 0) > (r[s + 1]! >>> 0) || (r[d + 1] === r[s + 1] && (r[d]! >>> 0) > (r[s]! >>> 0)))) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        // JSGT / JSGE / JSLT / JSLE (signed high words)
        case 0x65: if (r[d + 1]! > code[b | 3]! || (r[d + 1] === code[b | 3] && (r[d]! >>> 0) > (code[b | 2]! >>> 0))) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x6d: if (r[d + 1]! > r[s + 1]! || (r[d + 1] === r[s + 1] && (r[d]! >>> 0) > (r[s]! >>> 0))) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x75: if (!(code[b | 3]! > r[d + 1]! || (code[b | 3] === r[d + 1] && (code[b | 2]! >>> 0) > (r[d]! >>> 0)))) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x7d: if (!(r[s + 1]! > r[d + 1]! || (r[s + 1] === r[d + 1] && (r[s]! >>> 0) > (r[d]! >>> 0)))) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0xc5: if (code[b | 3]! > r[d + 1]! || (code[b | 3] === r[d + 1] && (code[b | 2]! >>> 0) > (r[d]! >>> 0))) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0xcd: if (r[s + 1]! > r[d + 1]! || (r[s + 1] === r[d + 1] && (r[s]! >>> 0) > (r[d]! >>> 0))) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0xd5: if (!(r[d + 1]! > code[b | 3]! || (r[d + 1] === code[b | 3] && (r[d]! >>> 0) > (code[b | 2]! >>> 0)))) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0xdd: if (!(r[d + 1]! > r[s + 1]! || (r[d + 1] === r[s + 1] && (r[d]! >>> 0) > (r[s]! >>> 0)))) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        // JMP32: low words only.
        case 0x16: if (r[d] === code[b | 2]) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x1e: if (r[d] === r[s]) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x56: if (r[d] !== code[b | 2]) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x5e: if (r[d] !== r[s]) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x46: if ((r[d]! & code[b | 2]!) !== 0) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x4e: if ((r[d]! & r[s]!) !== 0) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x26: if ((r[d]! >>> 0) > (code[b | 2]! >>> 0)) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x2e: if ((r[d]! >>> 0) > (r[s]! >>> 0)) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x36: if ((r[d]! >>> 0) >= (code[b | 2]! >>> 0)) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x3e: if ((r[d]! >>> 0) >= (r[s]! >>> 0)) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0xa6: if ((r[d]! >>> 0) < (code[b | 2]! >>> 0)) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0xae: if ((r[d]! >>> 0) < (r[s]! >>> 0)) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0xb6: if ((r[d]! >>> 0) <= (code[b | 2]! >>> 0)) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0xbe: if ((r[d]! >>> 0) <= (r[s]! >>> 0)) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x66: if (r[d]! > code[b | 2]!) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x6e: if (r[d]! > r[s]!) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x76: if (r[d]! >= code[b | 2]!) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0x7e: if (r[d]! >= r[s]!) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0xc6: if (r[d]! < code[b | 2]!) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0xce: if (r[d]! < r[s]!) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0xd6: if (r[d]! <= code[b | 2]!) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;
        case 0xde: if (r[d]! <= r[s]!) { x = code[b | 1]!; k = (k + x - pc) | 0; pc = x; if (((k - x) | 0) < 0) this.overBudget(p, i); } break;

        // ---- calls and exit ----
        case 0x85:
        case 0x8d: {
          const id = (w & 0xff) === 0x85 ? code[b | 2]! : u[d]!;
          const impl = this.helpers(id);
          if (impl === undefined) this.fault(p, i, `unknown helper ${id}`);
          call.insn = i;
          call.depth = depth;
          call.prog = p;
          impl(call);
          const target = call.pendingTail;
          if (target !== undefined) {
            // bpf_tail_call succeeded: the target replaces this frame's program, keeping r1 and r10.
            call.pendingTail = undefined;
            call.tailCallCount++;
            return this.resume(this.prepare(target), 0, depth, (k - pc) | 0);
          }
          break;
        }
        case 0xba: {
          if (depth + 1 >= STACK_FRAMES) this.fault(p, i, `call stack too deep: more than ${STACK_FRAMES} frames`);
          this.frameRet[depth] = pc;
          this.frameProg[depth] = p;
          this.frameSaved.set(u.subarray(R6, R10 + 2), depth * 10);
          r[R10] = r[R10]! - STACK_FRAME_SIZE;
          depth++;
          x = code[b | 1]!;
          k = (k + x - pc) | 0;
          pc = x;
          if (((k - x) | 0) < 0) this.overBudget(p, i);
          break;
        }
        case 0x95: {
          if (depth === baseDepth) {
            this.resumeBudget = (k - pc) | 0;
            return undefined;
          }
          depth--;
          u.set(this.frameSaved.subarray(depth * 10, depth * 10 + 10), R6);
          x = this.frameRet[depth]!;
          k = (k + x - pc) | 0;
          pc = x;
          if (this.frameProg[depth] !== p) return this.resume(this.frameProg[depth]!, pc, depth, (k - pc) | 0);
          break;
        }

        case 0xc2: this.fault(p, i, 'kfunc calls are not supported');
        default: {
          if (i < 0 || i >= p.length) this.fault(p, i, 'execution ran past the last instruction');
          if ((w & 0xff) !== 0) this.fault(p, i, 'legacy packet loads (LD_ABS/LD_IND) need an skb and are not supported');
          this.fault(p, i, `invalid instruction: ${p.invalid.get(i) ?? 'unknown'}`);
        }
      }
    }
  }

  /** 32-bit atomics: Atomics on the shared arena when aligned; a plain read-modify-write otherwise. */
  private atomic32(r: Uint32Array, variant: number, a: number, s: number): void {
    const v = r[s]! | 0;
    if ((a & 3) !== 0) {
      this.atomicUnaligned(r, variant, a, s, 4);
      return;
    }
    const i32 = this.i32;
    const k = a >>> 2;
    switch (variant) {
      case AtomicVariant.ADD: Atomics.add(i32, k, v); return;
      case AtomicVariant.OR: Atomics.or(i32, k, v); return;
      case AtomicVariant.AND: Atomics.and(i32, k, v); return;
      case AtomicVariant.XOR: Atomics.xor(i32, k, v); return;
      case AtomicVariant.FETCH_ADD: r[s] = Atomics.add(i32, k, v); break;
      case AtomicVariant.FETCH_OR: r[s] = Atomics.or(i32, k, v); break;
      case AtomicVariant.FETCH_AND: r[s] = Atomics.and(i32, k, v); break;
      case AtomicVariant.FETCH_XOR: r[s] = Atomics.xor(i32, k, v); break;
      case AtomicVariant.XCHG: r[s] = Atomics.exchange(i32, k, v); break;
      default:
        // CMPXCHG: compare with w0, the old value lands in r0 (zero-extended).
        r[R0] = Atomics.compareExchange(i32, k, r[R0]! | 0, v);
        r[R0 + 1] = 0;
        return;
    }
    r[s + 1] = 0;
  }

  /** 64-bit atomics go through BigInt64Array (the only 64-bit Atomics view). */
  private atomic64(r: Uint32Array, variant: number, a: number, s: number): void {
    if ((a & 7) !== 0) {
      this.atomicUnaligned(r, variant, a, s, 8);
      return;
    }
    const i64 = this.i64;
    const k = a >>> 3;
    const v = BigInt.asIntN(64, toBig(r[s]!, r[s + 1]!));
    let old: bigint;
    switch (variant) {
      case AtomicVariant.ADD: Atomics.add(i64, k, v); return;
      case AtomicVariant.OR: Atomics.or(i64, k, v); return;
      case AtomicVariant.AND: Atomics.and(i64, k, v); return;
      case AtomicVariant.XOR: Atomics.xor(i64, k, v); return;
      case AtomicVariant.FETCH_ADD: old = Atomics.add(i64, k, v); break;
      case AtomicVariant.FETCH_OR: old = Atomics.or(i64, k, v); break;
      case AtomicVariant.FETCH_AND: old = Atomics.and(i64, k, v); break;
      case AtomicVariant.FETCH_XOR: old = Atomics.xor(i64, k, v); break;
      case AtomicVariant.XCHG: old = Atomics.exchange(i64, k, v); break;
      default:
        setBig(r, R0, BigInt.asUintN(64, Atomics.compareExchange(i64, k, BigInt.asIntN(64, toBig(r[R0]!, r[R0 + 1]!)), v)));
        return;
    }
    setBig(r, s, BigInt.asUintN(64, old));
  }

  /** Misaligned atomics (the kernel verifier rejects them): same result, not atomic. */
  private atomicUnaligned(r: Uint32Array, variant: number, a: number, s: number, size: 4 | 8): void {
    const dv = this.dv;
    const mask = size === 4 ? 0xffffffffn : 0xffffffffffffffffn;
    const read = (): bigint => (size === 4 ? BigInt(dv.getUint32(a, true)) : dv.getBigUint64(a, true));
    const write = (v: bigint): void => {
      if (size === 4) dv.setUint32(a, Number(v & mask), true);
      else dv.setBigUint64(a, v & mask, true);
    };
    const old = read();
    const v = toBig(r[s]!, r[s + 1]!) & mask;
    switch (variant) {
      case AtomicVariant.ADD: case AtomicVariant.FETCH_ADD: write(old + v); break;
      case AtomicVariant.OR: case AtomicVariant.FETCH_OR: write(old | v); break;
      case AtomicVariant.AND: case AtomicVariant.FETCH_AND: write(old & v); break;
      case AtomicVariant.XOR: case AtomicVariant.FETCH_XOR: write(old ^ v); break;
      case AtomicVariant.XCHG: write(v); break;
      default: {
        if (old === (toBig(r[R0]!, r[R0 + 1]!) & mask)) write(v);
        setBig(r, R0, old);
        return;
      }
    }
    if (variant >= AtomicVariant.FETCH_ADD) setBig(r, s, old);
  }
}
