/**
 * bpf_tail_call through a wasm table (design.md §3): `return_call_indirect` into the target program's
 * `tail_entry`, without leaving wasm. Node 20.20's V8 accepts wasm tail calls without a flag
 * (--experimental-wasm-return-call is on by default there).
 *
 * The table (`env.progs`, one per CPU, owned by jit/xdp-engine.ts) is indexed by runtime program id, and
 * the PROG_ARRAY slot is read from the arena at each call (src/vm/maps/slot-array.ts layout: presence word,
 * then the u32 program id), so a PROG_ARRAY update takes effect at the next call with nothing to patch;
 * the table only ever gains entries as target programs are instantiated on that CPU.
 *
 * Semantics as kernel/bpf/core.c JMP_TAIL_CALL and src/vm/helpers/control.ts: the tail-call count
 * (MAX_TAIL_CALL_CNT = 33 per run, the u32 at regs + TAIL_CALL_COUNT_OFFSET, shared with the JS path) is
 * checked and incremented, the target runs with the caller's r1 and frame. Everything the fast path does
 * not take — an index past the array, an empty slot, the 34th call, a target not yet in the table, a map not
 * known at compile time — goes through the JS helper path, which gives the same result.
 */
import binaryen from 'binaryen';
import { MapType } from '../src/ebpf/object-spec.js';
import { MapHdr } from '../src/vm/maps/map-header.js';
import { SlotArrayHdr } from '../src/vm/maps/slot-array.js';
import { Names, SUB_PROGRAM_PARAMS } from './function-builder.js';
import type { Expr, LowerContext } from './lower-context.js';
import { TAIL_CALL_COUNT_OFFSET } from './module-abi.js';

export const MAX_TAIL_CALL_CNT = 33;
/** The imported table's name in the module (field `progs`). */
export const PROG_TABLE = 'progs';
/** The export every program module offers as a tail-call target: sets its ctx global, runs the program. */
export const TAIL_ENTRY = 'tail_entry';

/** Lowers one bpf_tail_call; `slowPath` is the JS-helper statement to fall back on. */
export type TailCallLowering = (ctx: LowerContext, slowPath: Expr) => Expr | undefined;

export function createTailCallLowering(u32: Uint32Array): TailCallLowering {
  return (ctx, slowPath) => {
    const table = ctx.m.tailTable;
    const mapAddr = ctx.knownMap(2);
    if (table === undefined || mapAddr === undefined || mapAddr % 4 !== 0) return undefined;
    const r = (off: number): number => u32[(mapAddr + off) >>> 2]!;
    if (r(MapHdr.TYPE) !== MapType.PROG_ARRAY) return undefined;
    const { m } = ctx;
    const i32 = binaryen.i32;
    const idx = ctx.tempI32();
    const id = ctx.tempI32();
    const count = ctx.tempI32();
    const regs = (): Expr => m.global.get(Names.regs, i32);
    const get = (l: number): Expr => m.local.get(l, i32);
    const take = m.block(null, [
      m.local.set(id, m.i32.load(0, 4, m.i32.add(m.i32.const(r(MapHdr.DATA) | 0), m.i32.mul(get(idx), m.i32.const(r(MapHdr.VALUE_STRIDE)))))),
      m.local.set(count, m.i32.load(TAIL_CALL_COUNT_OFFSET, 4, regs())),
      m.if(
        m.i32.and(
          m.i32.lt_u(get(count), m.i32.const(MAX_TAIL_CALL_CNT)),
          m.i32.lt_u(get(id), table.size(PROG_TABLE)),
        ),
        m.if(m.i32.eqz(table.isNull(PROG_TABLE, get(id))), m.block(null, [
          m.i32.store(TAIL_CALL_COUNT_OFFSET, 4, regs(), m.i32.add(get(count), m.i32.const(1))),
          table.returnCallIndirect(PROG_TABLE, get(id), [ctx.get(1), m.i64.const(0n), m.i64.const(0n), m.i64.const(0n), m.i64.const(0n), ctx.get(10)], SUB_PROGRAM_PARAMS, binaryen.i64),
        ])),
      ),
    ]);
    return m.block(null, [
      m.local.set(idx, m.i32.wrap(ctx.get(3))),
      m.if(
        m.i32.lt_u(get(idx), m.i32.const(r(MapHdr.MAX_ENTRIES))),
        m.if(m.i32.load(0, 4, m.i32.add(m.i32.const(r(SlotArrayHdr.PRESENT) | 0), m.i32.shl(get(idx), m.i32.const(2)))), take),
      ),
      slowPath,
    ]);
  };
}
