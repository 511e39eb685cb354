/**
 * bpf_map_push_elem (87), bpf_map_pop_elem (88), bpf_map_peek_elem (89) on a QUEUE / STACK known at compile
 * time, as wasm functions per map over the layout of src/vm/maps/queue-stack.ts (ring of max_entries + 1
 * packed elements, head/tail words, a spin lock word taken with compare-exchange as QueueStackMap.locked
 * takes it), with the same results (kernel/bpf/queue_stack_maps.c):
 *  - push: flags other than BPF_ANY / BPF_EXIST (any upper bit too) → -EINVAL; full → -E2BIG, or with
 *    BPF_EXIST the oldest element (tail) is dropped; the value is copied to elements[head], head++;
 *  - pop / peek: empty → -ENOENT; a queue takes elements[tail], a stack elements[head - 1]; pop moves the
 *    tail forward (queue) or the head back (stack).
 * BLOOM_FILTER (which shares push/peek) and maps not known at compile time keep the trampoline.
 */
import binaryen from 'binaryen';
import { MapType } from '../src/ebpf/object-spec.js';
import { Errno } from '../src/vm/maps/errno.js';
import { MapHdr } from '../src/vm/maps/map-header.js';
import { QueueStackHdr } from '../src/vm/maps/queue-stack.js';
import type { Expr, LowerContext } from './lower-context.js';
import type { IrBuilder } from './ir-builder.js';

export const QueueHelperId = { MAP_PUSH_ELEM: 87, MAP_POP_ELEM: 88, MAP_PEEK_ELEM: 89 } as const;

const i32 = binaryen.i32;
const i64 = binaryen.i64;
const BPF_EXIST = 2;
const MAX_UNROLLED_VALUE = 256;

interface QueueLayout {
  readonly addr: number;
  readonly stack: boolean;
  readonly valueSize: number;
  /** Ring slots: max_entries + 1. */
  readonly size: number;
  readonly data: number;
}

function readQueueLayout(u32: Uint32Array, addr: number): QueueLayout | undefined {
  if (addr % 4 !== 0) return undefined;
  const r = (off: number): number => u32[(addr + off) >>> 2]!;
  const type = r(MapHdr.TYPE);
  if (type !== MapType.QUEUE && type !== MapType.STACK) return undefined;
  return { addr, stack: type === MapType.STACK, valueSize: r(MapHdr.VALUE_SIZE), size: r(QueueStackHdr.SIZE), data: r(MapHdr.DATA) };
}

/** The lowering of helper `helperId`, or undefined to keep the trampoline. */
export function lowerQueueHelper(ctx: LowerContext, helperId: number, u32: Uint32Array): Expr | undefined {
  if (helperId !== QueueHelperId.MAP_PUSH_ELEM && helperId !== QueueHelperId.MAP_POP_ELEM && helperId !== QueueHelperId.MAP_PEEK_ELEM) return undefined;
  const mapAddr = ctx.knownMap(1);
  if (mapAddr === undefined) return undefined;
  const l = readQueueLayout(u32, mapAddr);
  // Values are copied unrolled; a very large one keeps the trampoline rather than bloat the module.
  if (l === undefined || l.valueSize > MAX_UNROLLED_VALUE) return undefined;
  const { m } = ctx;
  if (helperId === QueueHelperId.MAP_PUSH_ELEM) {
    const fn = `queue_push_${l.addr >>> 0}`;
    if (!ctx.module.hasFunction(fn)) ctx.module.addFunction(fn, [i32, i64], i32, [i32, i32, i32], pushBody(m, l));
    return m.i64.extend32_s(m.i64.extend_u(m.call(fn, [m.i32.wrap(ctx.get(2)), ctx.get(3)], i32)));
  }
  const remove = helperId === QueueHelperId.MAP_POP_ELEM;
  const fn = `queue_${remove ? 'pop' : 'peek'}_${l.addr >>> 0}`;
  if (!ctx.module.hasFunction(fn)) ctx.module.addFunction(fn, [i32], i32, [i32, i32, i32, i32], takeBody(m, l, remove));
  return m.i64.extend32_s(m.i64.extend_u(m.call(fn, [m.i32.wrap(ctx.get(2))], i32)));
}

const lockAddr = (m: IrBuilder, l: QueueLayout): Expr => m.i32.const((l.addr + QueueStackHdr.LOCK) | 0);
const word = (m: IrBuilder, l: QueueLayout, off: number): Expr => m.i32.load(0, 4, m.i32.const((l.addr + off) | 0));
const setWord = (m: IrBuilder, l: QueueLayout, off: number, v: Expr): Expr => m.i32.store(0, 4, m.i32.const((l.addr + off) | 0), v);

/** Spin until the lock word goes 0 → 1 (QueueStackMap.locked). */
function lock(m: IrBuilder, l: QueueLayout): Expr {
  return m.loop('spin', m.br('spin', m.i32.ne(m.i32.atomic.rmw.cmpxchg(0, lockAddr(m, l), m.i32.const(0), m.i32.const(1)), m.i32.const(0))));
}

const unlock = (m: IrBuilder, l: QueueLayout): Expr => m.drop(m.i32.atomic.rmw.xchg(0, lockAddr(m, l), m.i32.const(0)));

/** Copies `size` bytes from `src` to `dst` (i32 expressions re-evaluated per piece): 8, then 4, 2, 1 bytes. */
function copyBytes(m: IrBuilder, size: number, dst: () => Expr, src: () => Expr): Expr[] {
  const out: Expr[] = [];
  let off = 0;
  while (size - off >= 8) { out.push(m.i64.store(off, 1, dst(), m.i64.load(off, 1, src()))); off += 8; }
  if (size - off >= 4) { out.push(m.i32.store(off, 1, dst(), m.i32.load(off, 1, src()))); off += 4; }
  if (size - off >= 2) { out.push(m.i64.store16(off, 1, dst(), m.i64.load16_u(off, 1, src()))); off += 2; }
  if (size - off >= 1) { out.push(m.i64.store8(off, 1, dst(), m.i64.load8_u(off, 1, src()))); off += 1; }
  return out;
}

/** (value i32, flags i64) → 0 / -errno; locals: 2 head, 3 tail, 4 result. */
function pushBody(m: IrBuilder, l: QueueLayout): Expr {
  const [VALUE, FLAGS, H, T, RET] = [0, 1, 2, 3, 4];
  const g = (x: number): Expr => m.local.get(x, i32);
  const flags = (): Expr => m.local.get(FLAGS, i64);
  const next = (x: Expr): Expr => m.i32.rem_u(m.i32.add(x, m.i32.const(1)), m.i32.const(l.size));
  return m.block(null, [
    m.if(m.i32.and(m.i64.ne(flags(), m.i64.const(0n)), m.i64.ne(flags(), m.i64.const(BigInt(BPF_EXIST)))), m.return(m.i32.const(-Errno.EINVAL))),
    lock(m, l),
    m.local.set(H, word(m, l, QueueStackHdr.HEAD)),
    m.local.set(T, word(m, l, QueueStackHdr.TAIL)),
    m.local.set(RET, m.i32.const(0)),
    m.block('done', [
      m.if(m.i32.eq(next(g(H)), g(T)), m.block(null, [
        m.if(m.i64.ne(flags(), m.i64.const(BigInt(BPF_EXIST))), m.block(null, [m.local.set(RET, m.i32.const(-Errno.E2BIG)), m.br('done')])),
        setWord(m, l, QueueStackHdr.TAIL, next(g(T))),
      ])),
      ...copyBytes(m, l.valueSize, () => m.i32.add(m.i32.const(l.data | 0), m.i32.mul(g(H), m.i32.const(l.valueSize))), () => g(VALUE)),
      setWord(m, l, QueueStackHdr.HEAD, next(g(H))),
    ]),
    unlock(m, l),
    g(RET),
  ], i32);
}

/** (dst i32) → 0 / -ENOENT; locals: 1 head, 2 tail, 3 index, 4 result. */
function takeBody(m: IrBuilder, l: QueueLayout, remove: boolean): Expr {
  const [DST, H, T, INDEX, RET] = [0, 1, 2, 3, 4];
  const g = (x: number): Expr => m.local.get(x, i32);
  const index = l.stack
    ? m.i32.rem_u(m.i32.add(g(H), m.i32.const(l.size - 1)), m.i32.const(l.size))
    : g(T);
  const pop = l.stack
    ? setWord(m, l, QueueStackHdr.HEAD, g(INDEX))
    : setWord(m, l, QueueStackHdr.TAIL, m.i32.rem_u(m.i32.add(g(T), m.i32.const(1)), m.i32.const(l.size)));
  return m.block(null, [
    lock(m, l),
    m.local.set(H, word(m, l, QueueStackHdr.HEAD)),
    m.local.set(T, word(m, l, QueueStackHdr.TAIL)),
    m.if(m.i32.eq(g(H), g(T)),
      m.local.set(RET, m.i32.const(-Errno.ENOENT)),
      m.block(null, [
        m.local.set(INDEX, index),
        ...copyBytes(m, l.valueSize, () => g(DST), () => m.i32.add(m.i32.const(l.data | 0), m.i32.mul(g(INDEX), m.i32.const(l.valueSize)))),
        ...(remove ? [pop] : []),
        m.local.set(RET, m.i32.const(0)),
      ])),
    unlock(m, l),
    g(RET),
  ], i32);
}
