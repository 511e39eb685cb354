/**
 * Ring buffer helpers on a RINGBUF known at compile time, in wasm over the layout of src/vm/maps/ringbuf.ts
 * (RingbufMap.query / reserve, the kernel's kernel/bpf/ringbuf.c):
 *  - bpf_ringbuf_query (134): flags BPF_RB_AVAIL_DATA 0 → producer - consumer, BPF_RB_RING_SIZE 1 → mask + 1,
 *    BPF_RB_CONS_POS 2, BPF_RB_PROD_POS 3, anything else (a set upper half included) → 0; positions read
 *    with atomic loads as the TS side does;
 *  - bpf_ringbuf_reserve (131): flags ≠ 0 or a size above mask + 1 - 8 (upper half included) → NULL; under
 *    the map's reservation lock, NULL when the producer would get more than mask bytes ahead of the
 *    consumer, else the record header (size | BUSY, pg_off 0) is written, the producer position published
 *    with an atomic store, and r0 = the sample's address.
 * Submit, discard and output deliver records as runtime events, so they keep the trampoline.
 */
import binaryen from 'binaryen';
import { MapType } from '../src/ebpf/object-spec.js';
import { MapHdr } from '../src/vm/maps/map-header.js';
import { RINGBUF_BUSY_BIT, RINGBUF_HDR_SZ, RingbufHdr } from '../src/vm/maps/ringbuf.js';
import type { Expr, LowerContext } from './lower-context.js';

export const RingbufHelperId = { RINGBUF_RESERVE: 131, RINGBUF_QUERY: 134 } as const;

const i32 = binaryen.i32;
const i64 = binaryen.i64;

interface RingLayout {
  readonly addr: number;
  readonly mask: number;
  readonly data: number;
}

function readRingLayout(u32: Uint32Array, addr: number): RingLayout | undefined {
  if (addr % 4 !== 0 || u32[(addr + MapHdr.TYPE) >>> 2] !== MapType.RINGBUF) return undefined;
  return { addr, mask: u32[(addr + RingbufHdr.MASK) >>> 2]!, data: u32[(addr + MapHdr.DATA) >>> 2]! };
}

/** The lowering of ring buffer helper `helperId`, or undefined to keep the trampoline. */
export function lowerRingbufHelper(ctx: LowerContext, helperId: number, u32: Uint32Array): Expr | undefined {
  if (helperId !== RingbufHelperId.RINGBUF_QUERY && helperId !== RingbufHelperId.RINGBUF_RESERVE) return undefined;
  const mapAddr = ctx.knownMap(1);
  if (mapAddr === undefined) return undefined;
  const l = readRingLayout(u32, mapAddr);
  if (l === undefined) return undefined;
  return helperId === RingbufHelperId.RINGBUF_QUERY ? query(ctx, l) : reserve(ctx, l);
}

const pos = (ctx: LowerContext, l: RingLayout, field: number): Expr => ctx.m.i32.atomic.load(0, ctx.m.i32.const((l.addr + field) | 0));

function query(ctx: LowerContext, l: RingLayout): Expr {
  const { m } = ctx;
  const flag = ctx.tempI64();
  const cons = ctx.tempI32();
  const prod = ctx.tempI32();
  const is = (v: number): Expr => m.i64.eq(m.local.get(flag, i64), m.i64.const(BigInt(v)));
  const answer = m.select(is(0), m.i32.sub(m.local.get(prod, i32), m.local.get(cons, i32)),
    m.select(is(1), m.i32.const((l.mask + 1) | 0),
      m.select(is(2), m.local.get(cons, i32),
        m.select(is(3), m.local.get(prod, i32), m.i32.const(0)))));
  return m.block(null, [
    m.local.set(flag, ctx.get(2)),
    m.local.set(cons, pos(ctx, l, RingbufHdr.CONSUMER_POS)),
    m.local.set(prod, pos(ctx, l, RingbufHdr.PRODUCER_POS)),
    m.i64.extend_u(answer),
  ], i64);
}

function reserve(ctx: LowerContext, l: RingLayout): Expr {
  const { m } = ctx;
  const size = ctx.tempI64();
  const len = ctx.tempI32();
  const prod = ctx.tempI32();
  const rec = ctx.tempI32();
  const r0 = ctx.tempI64();
  const lock = (): Expr => m.i32.const((l.addr + RingbufHdr.LOCK) | 0);
  const label = `ringbuf_reserve_${l.addr >>> 0}_${r0}`;
  const fits = m.i64.le_u(m.local.get(size, i64), m.i64.const(BigInt(l.mask + 1 - RINGBUF_HDR_SZ)));
  return m.block(null, [
    m.local.set(size, ctx.get(2)),
    m.local.set(r0, m.i64.const(0n)),
    m.if(m.i32.and(m.i64.eqz(ctx.get(3)), fits), m.block(null, [
      m.local.set(len, m.i32.and(m.i32.add(m.i32.wrap(m.local.get(size, i64)), m.i32.const(RINGBUF_HDR_SZ + 7)), m.i32.const(~7))),
      m.loop(label, m.br(label, m.i32.ne(m.i32.atomic.rmw.cmpxchg(0, lock(), m.i32.const(0), m.i32.const(1)), m.i32.const(0)))),
      m.local.set(prod, pos(ctx, l, RingbufHdr.PRODUCER_POS)),
      m.if(m.i32.le_u(m.i32.sub(m.i32.add(m.local.get(prod, i32), m.local.get(len, i32)), pos(ctx, l, RingbufHdr.CONSUMER_POS)), m.i32.const(l.mask)), m.block(null, [
        m.local.set(rec, m.i32.add(m.i32.const(l.data | 0), m.i32.and(m.local.get(prod, i32), m.i32.const(l.mask)))),
        m.i32.store(0, 4, m.local.get(rec, i32), m.i32.or(m.i32.wrap(m.local.get(size, i64)), m.i32.const(RINGBUF_BUSY_BIT))),
        m.i32.store(4, 4, m.local.get(rec, i32), m.i32.const(0)),
        m.drop(m.i32.atomic.rmw.xchg(0, m.i32.const((l.addr + RingbufHdr.PRODUCER_POS) | 0), m.i32.add(m.local.get(prod, i32), m.local.get(len, i32)))),
        m.local.set(r0, m.i64.extend_u(m.i32.add(m.local.get(rec, i32), m.i32.const(RINGBUF_HDR_SZ)))),
      ])),
      m.drop(m.i32.atomic.rmw.xchg(0, lock(), m.i32.const(0))),
    ])),
    m.local.get(r0, i64),
  ], i64);
}
