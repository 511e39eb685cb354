/**
 * bpf_perf_event_output (25) on a PERF_EVENT_ARRAY known at compile time: the outcomes that deliver nothing
 * answered in wasm, as src/vm/helpers/events.ts answers them (net/core/filter.c bpf_xdp_event_output):
 * flags within BPF_F_CTXLEN_MASK | BPF_F_INDEX_MASK, ctx_len ≤ the frame's length, index
 * (BPF_F_CURRENT_CPU = this CPU) ≥ max_entries → -E2BIG, an empty slot (presence word 0, slot-array.ts)
 * → -ENOENT, which is every call under BPF_PROG_TEST_RUN and whenever nobody reads the slot. A sample that
 * is delivered, and a flag or length error, takes the trampoline (the TS helper emits the event and
 * returns the error).
 */
import binaryen from 'binaryen';
import { Desc } from '../src/vm/arena-layout.js';
import { MapType } from '../src/ebpf/object-spec.js';
import { Errno } from '../src/vm/maps/errno.js';
import { MapHdr } from '../src/vm/maps/map-header.js';
import { SlotArrayHdr } from '../src/vm/maps/slot-array.js';
import { Names } from './function-builder.js';
import type { Expr, LowerContext } from './lower-context.js';
import { trampolineCall } from './lower-helper-xdp.js';

const PERF_EVENT_OUTPUT = 25;
const BPF_F_CURRENT_CPU = 0xffffffff;
const CTXLEN_MASK_HIGH = 0xfffff;
const i32 = binaryen.i32;
const i64 = binaryen.i64;

export function lowerPerfHelper(ctx: LowerContext, helperId: number, at: number, u32: Uint32Array): Expr | undefined {
  if (helperId !== PERF_EVENT_OUTPUT) return undefined;
  const mapAddr = ctx.knownMap(2);
  if (mapAddr === undefined || mapAddr % 4 !== 0 || u32[(mapAddr + MapHdr.TYPE) >>> 2] !== MapType.PERF_EVENT_ARRAY) return undefined;
  const maxEntries = u32[(mapAddr + MapHdr.MAX_ENTRIES) >>> 2]!;
  const present = u32[(mapAddr + SlotArrayHdr.PRESENT) >>> 2]!;
  const { m } = ctx;
  const high = ctx.tempI32();
  const index = ctx.tempI32();
  const r0 = ctx.tempI64();
  const desc = (): Expr => m.global.get(Names.ctx, i32);
  const buffLen = m.i32.add(m.i32.sub(m.i32.load(Desc.DATA_END, 4, desc()), m.i32.load(Desc.DATA, 4, desc())), m.i32.load(Desc.FRAGS_LEN, 4, desc()));
  const rawIndex = m.i32.wrap(ctx.get(3));
  const errno = (e: number): Expr => m.local.set(r0, m.i64.const(BigInt(-e)));
  return m.block(null, [
    m.local.set(high, m.i32.wrap(m.i64.shr_u(ctx.get(3), m.i64.const(32n)))),
    m.if(m.i32.or(m.i32.and(m.local.get(high, i32), m.i32.const(~CTXLEN_MASK_HIGH)), m.i32.gt_u(m.local.get(high, i32), buffLen)),
      m.local.set(r0, trampolineCall(ctx, PERF_EVENT_OUTPUT, at)),
      m.block(null, [
        m.local.set(index, m.select(m.i32.eq(rawIndex, m.i32.const(BPF_F_CURRENT_CPU | 0)), m.global.get(Names.cpu, i32), m.i32.wrap(ctx.get(3)))),
        m.if(m.i32.ge_u(m.local.get(index, i32), m.i32.const(maxEntries | 0)), errno(Errno.E2BIG),
          m.if(m.i32.eqz(m.i32.atomic.load(0, m.i32.add(m.i32.const(present | 0), m.i32.shl(m.local.get(index, i32), m.i32.const(2))))),
            errno(Errno.ENOENT),
            m.local.set(r0, trampolineCall(ctx, PERF_EVENT_OUTPUT, at)))),
      ])),
    m.local.get(r0, i64),
  ], i64);
}
