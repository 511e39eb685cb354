/**
 * The clock helpers in wasm, answered from this CPU's time cell (src/vm/clock.ts TimeCell), which each entry
 * into wasm resets to NONE and the entry's first clock helper publishes the runtime's Clock into, through
 * the trampoline (jit/instance.ts firstClockCall):
 *  - bpf_ktime_get_ns (5), bpf_ktime_get_boot_ns (125): a frozen clock's time (CaptureClock: time stands
 *    still within a frame, so `--clock capture` answers exactly as the TS helpers); a live clock
 *    (WallClock) is read per call through the `clock_now` import (module-abi.ts: it writes the time's u32
 *    halves at regs + WALL_NS_OFFSET, read back as one i64): the host read the TS helper does, without the
 *    trampoline's register spill and helper dispatch;
 *  - bpf_ktime_get_coarse_ns (160), bpf_jiffies64 (118): the published time rounded down to a tick /
 *    divided by the tick (clock.ts: HZ), as the kernel's tick-updated coarse clock and jiffies are; for a
 *    frozen clock exactly the TS helpers' answer.
 *  - bpf_get_prandom_u32 (7): the clock's generator (mulberry32, SeededRandom in clock.ts) stepped in wasm
 *    on the state the instance published in the cell and takes back when wasm returns, so the sequence is
 *    the one the TS helper would have produced.
 * A cell whose mode is NONE (not yet published in this entry, or a Clock without `publish`) sends every one
 * of them through the trampoline.
 */
import binaryen from 'binaryen';
import { ClockHelperId, MULBERRY32_INCREMENT, NS_PER_JIFFY_NUMBER, TimeCell, TimeCellMode } from '../src/vm/clock.js';
import { Names } from './function-builder.js';
import type { Expr, LowerContext } from './lower-context.js';
import { TIME_CELL_OFFSET, WALL_NS_OFFSET } from './module-abi.js';
import { trampolineCall } from './lower-helper-xdp.js';

const i32 = binaryen.i32;
const i64 = binaryen.i64;

/** The lowering of clock helper `helperId` at slot `at`, or undefined for any other helper. */
export function lowerTimeHelper(ctx: LowerContext, helperId: number, at: number): Expr | undefined {
  const { m } = ctx;
  const mode = (): Expr => m.i32.load(TIME_CELL_OFFSET + TimeCell.MODE, 4, m.global.get(Names.regs, i32));
  const ns = (): Expr => m.i64.load(TIME_CELL_OFFSET + TimeCell.NS, 8, m.global.get(Names.regs, i32));
  const tick = (): Expr => m.i64.const(BigInt(NS_PER_JIFFY_NUMBER));
  switch (helperId) {
    case ClockHelperId.KTIME_GET_NS:
    case ClockHelperId.KTIME_GET_BOOT_NS:
      return m.if(m.i32.eq(mode(), m.i32.const(TimeCellMode.FROZEN)), ns(),
        m.if(m.i32.eq(mode(), m.i32.const(TimeCellMode.LIVE)), m.block(null, [
          m.call(Names.clockNow, [m.i32.const(helperId)], binaryen.none),
          m.i64.load(WALL_NS_OFFSET, 8, m.global.get(Names.regs, i32)),
        ], i64), trampolineCall(ctx, helperId, at)));
    case ClockHelperId.KTIME_GET_COARSE_NS: {
      const t = ctx.tempI64();
      return m.if(m.i32.eqz(mode()), trampolineCall(ctx, helperId, at), m.block(null, [
        m.local.set(t, ns()),
        m.i64.sub(m.local.get(t, i64), m.i64.rem_u(m.local.get(t, i64), tick())),
      ], i64));
    }
    case ClockHelperId.JIFFIES64:
      return m.if(m.i32.eqz(mode()), trampolineCall(ctx, helperId, at), m.i64.div_u(ns(), tick()));
    case ClockHelperId.GET_PRANDOM_U32:
      return m.if(m.i32.eqz(mode()), trampolineCall(ctx, helperId, at), mulberry32(ctx));
    default:
      return undefined;
  }
}

/** One step of SeededRandom.next on the cell's state: r0 = the u32 it returns, zero-extended. */
function mulberry32(ctx: LowerContext): Expr {
  const { m } = ctx;
  const s = ctx.tempI32();
  const t = ctx.tempI32();
  const get = (local: number): Expr => m.local.get(local, i32);
  const regs = (): Expr => m.global.get(Names.regs, i32);
  const RAND = TIME_CELL_OFFSET + TimeCell.RAND;
  return m.block(null, [
    m.local.set(s, m.i32.add(m.i32.load(RAND, 4, regs()), m.i32.const(MULBERRY32_INCREMENT))),
    m.i32.store(RAND, 4, regs(), get(s)),
    // t = imul(t ^ (t >>> 15), t | 1)
    m.local.set(t, m.i32.mul(m.i32.xor(get(s), m.i32.shr_u(get(s), m.i32.const(15))), m.i32.or(get(s), m.i32.const(1)))),
    // t ^= t + imul(t ^ (t >>> 7), t | 61)
    m.local.set(t, m.i32.xor(get(t), m.i32.add(get(t), m.i32.mul(m.i32.xor(get(t), m.i32.shr_u(get(t), m.i32.const(7))), m.i32.or(get(t), m.i32.const(61)))))),
    m.i64.extend_u(m.i32.xor(get(t), m.i32.shr_u(get(t), m.i32.const(14)))),
  ], i64);
}
