/**
 * bpf_check_mtu (163) in wasm, with the semantics of src/vm/helpers/net.ts: flags ≠ 0 → -EINVAL; ifindex 0 is
 * the frame's ingress device; no such device → -ENODEV; length = *mtu_len ? *mtu_len + ETH_HLEN : linear
 * length, plus len_diff (s32); *mtu_len = MTU; above MTU + ETH_HLEN → BPF_MTU_CHK_RET_FRAG_NEEDED (1), else 0.
 *
 * The device MTUs belong to the runtime, not to the compiled module, so wasm learns them from the
 * trampoline: a call the TS helper answered with 0 or 1 wrote the device's MTU to *mtu_len, and that
 * (ifindex, MTU) pair is kept in a per-CPU memo beside the time cell; later calls for the same device answer
 * in wasm. The runtime's devices never change after it is created, and the instance clears the memo on every
 * entry from JS (jit/instance.ts), so a memo never outlives the run of the runtime that filled it.
 * ```
 *  regs + MTU_MEMO_OFFSET:  +0 u32 valid   +4 u32 ifindex   +8 u32 MTU
 * ```
 */
import binaryen from 'binaryen';
import { Desc } from '../src/vm/arena-layout.js';
import { ETH_HLEN } from '../src/vm/helpers/xdp-buff.js';
import { Names } from './function-builder.js';
import type { Expr, LowerContext } from './lower-context.js';
import { trampolineCall } from './lower-helper-xdp.js';
import { MTU_MEMO_OFFSET, MtuMemo } from './module-abi.js';


const CHECK_MTU = 163;
const i32 = binaryen.i32;
const i64 = binaryen.i64;

export function lowerNetHelper(ctx: LowerContext, helperId: number, at: number): Expr | undefined {
  if (helperId !== CHECK_MTU) return undefined;
  const { m } = ctx;
  const ifindex = ctx.tempI32();
  const mtuLen = ctx.tempI32();
  const given = ctx.tempI32();
  const mtu = ctx.tempI32();
  const r0 = ctx.tempI64();
  const regs = (): Expr => m.global.get(Names.regs, i32);
  const memo = (field: number): Expr => m.i32.load(MTU_MEMO_OFFSET + field, 4, regs());
  const desc = (): Expr => m.global.get(Names.ctx, i32);
  const get = (local: number): Expr => m.local.get(local, i32);
  const { ptr, offset } = ctx.accessAddress(3, 0, 4, at);
  const requested = m.i32.wrap(ctx.get(2));
  const len = m.i64.add(
    m.if(get(given),
      m.i64.add(m.i64.extend_u(get(given)), m.i64.const(BigInt(ETH_HLEN))),
      m.i64.extend_u(m.i32.sub(m.i32.load(Desc.DATA_END, 4, desc()), m.i32.load(Desc.DATA, 4, desc())))),
    m.i64.extend32_s(ctx.get(4)));
  const fast = m.block(null, [
    m.local.set(mtu, memo(MtuMemo.MTU)),
    m.local.set(given, m.i32.load(0, 1, get(mtuLen))),
    m.i32.store(0, 1, get(mtuLen), get(mtu)),
    m.local.set(r0, m.i64.extend_u(m.i64.gt_s(len, m.i64.add(m.i64.extend_u(get(mtu)), m.i64.const(BigInt(ETH_HLEN)))))),
  ]);
  const slow = m.block(null, [
    m.local.set(r0, trampolineCall(ctx, CHECK_MTU, at)),
    m.if(m.i64.le_u(m.local.get(r0, i64), m.i64.const(1n)), m.block(null, [
      m.i32.store(MTU_MEMO_OFFSET + MtuMemo.IFINDEX, 4, regs(), get(ifindex)),
      m.i32.store(MTU_MEMO_OFFSET + MtuMemo.MTU, 4, regs(), m.i32.load(0, 1, get(mtuLen))),
      m.i32.store(MTU_MEMO_OFFSET + MtuMemo.VALID, 4, regs(), m.i32.const(1)),
    ])),
  ]);
  return m.block(null, [
    m.local.set(mtuLen, m.i32.add(ptr, m.i32.const(offset))),
    m.local.set(ifindex, m.select(requested, m.i32.wrap(ctx.get(2)), m.i32.load(Desc.INGRESS_IFINDEX, 4, desc()))),
    m.if(m.i32.and(m.i32.and(m.i64.eqz(ctx.get(5)), memo(MtuMemo.VALID)), m.i32.eq(memo(MtuMemo.IFINDEX), get(ifindex))), fast, slow),
    m.local.get(r0, i64),
  ], i64);
}
