/**
 * XDP helpers lowered in wasm instead of the JS trampoline (design.md §3: redirect, adjust_head/tail,
 * load/store_bytes in wasm). Each lowering computes exactly what the runtime's implementation in
 * src/vm/helpers/ computes — the same r0, the same descriptor and arena bytes — and hands the cases the fast
 * path does not cover (fragments, overlapping copies, a metadata move) to that implementation through the
 * trampoline, inside the same emitted code:
 *  - bpf_redirect (23), redirect.ts: any flag → XDP_ABORTED, else the CPU's RedirectState gets
 *    {IFINDEX, ifindex, 0, 0, 0} and r0 = XDP_REDIRECT (net/core/filter.c bpf_xdp_redirect);
 *  - bpf_redirect_map (51) on a DEVMAP / CPUMAP / XSKMAP (slot-array.ts layout; the header's fields are
 *    constants when the map is known at compile time, else read at run time), and on a DEVMAP_HASH known at
 *    compile time (hash.ts layout: jit/lower-devmap-hash.ts; other map types → trampoline):
 *    flags outside the action bits (and BPF_F_BROADCAST / BPF_F_EXCLUDE_INGRESS for DEVMAP) → XDP_ABORTED;
 *    BROADCAST → {BROADCAST, 0, map, slot value, flags}; an empty slot → state cleared, r0 = flags & 3;
 *    else {kind, ifindex or index, map, slot value, 0} and XDP_REDIRECT (__bpf_xdp_redirect_map);
 *  - bpf_xdp_adjust_head (44) without metadata, adjust_meta (54), adjust_tail (65) of a linear frame, with
 *    the kernel's bounds (xdp_frame room at the head, ETH_HLEN of data, the tailroom), grown tail bytes zeroed;
 *  - bpf_xdp_get_buff_len (188); bpf_xdp_load_bytes / store_bytes (189/190) within the linear part.
 * Bounds are compared in i64 so that `address + signed offset` cannot wrap, as the JS numbers cannot.
 */
import binaryen from 'binaryen';
import { MapType } from '../src/ebpf/object-spec.js';
import { XdpAction } from '../src/ebpf/opcodes.js';
import { BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, Desc, FRAME_SLOT_SIZE, RedirectKind, RedirectState, TAILROOM } from '../src/vm/arena-layout.js';
import { ETH_HLEN, XDP_FRAME_SIZE } from '../src/vm/helpers/xdp-buff.js';
import { Errno } from '../src/vm/maps/errno.js';
import { MapHdr } from '../src/vm/maps/map-header.js';
import { SlotArrayHdr } from '../src/vm/maps/slot-array.js';
import { Names } from './function-builder.js';
import { devmapHashLookup, readDevmapHashLayout } from './lower-devmap-hash.js';
import { lowerPerMap } from './lower-map-dispatch.js';
import type { Expr, LowerContext } from './lower-context.js';
import { REGS_SCRATCH_BYTES } from './module-abi.js';

export const XdpHelperId = {
  REDIRECT: 23, XDP_ADJUST_HEAD: 44, REDIRECT_MAP: 51, XDP_ADJUST_META: 54, XDP_ADJUST_TAIL: 65,
  XDP_GET_BUFF_LEN: 188, XDP_LOAD_BYTES: 189, XDP_STORE_BYTES: 190,
} as const;

const i32 = binaryen.i32;
const i64 = binaryen.i64;
const META_MAX = 32;
const ACTION_MASK = 3;
/** bpf_xdp_pointer refuses offsets and lengths above 0xffff with -EFAULT. */
const XDP_POINTER_MAX = 0xffff;

/** r0 = a negative errno / small constant, as retS32 sign-extends it. */
const retConst = (ctx: LowerContext, v: number): Expr => ctx.m.i64.const(BigInt(v));

/**
 * The helper through the JS trampoline, as function-builder.ts's helperCall emits it (module-abi.ts): r1..r5
 * into the scratch of this frame's depth, `helper(id, insn, fp, ctx)`, r0 read back. An i64 expression.
 */
export function trampolineCall(ctx: LowerContext, helperId: number, at: number): Expr {
  const { m } = ctx;
  const regs = ctx.tempI32();
  const fp = (): Expr => m.i32.wrap(ctx.get(10));
  const depth = m.i32.shr_u(m.i32.sub(m.global.get(Names.stackTop, i32), fp()), m.i32.const(9));
  const stmts: Expr[] = [m.local.set(regs, m.i32.add(m.global.get(Names.regs, i32), m.i32.mul(depth, m.i32.const(REGS_SCRATCH_BYTES))))];
  for (let r = 1; r <= 5; r++) stmts.push(m.i64.store(8 * r, 8, m.local.get(regs, i32), ctx.get(r)));
  stmts.push(m.drop(m.call(Names.helper, [m.i32.const(helperId), m.i32.const(at), fp(), m.global.get(Names.ctx, i32)], i32)));
  stmts.push(m.i64.load(0, 8, m.local.get(regs, i32)));
  return m.block(null, stmts, i64);
}

/** The lowering of `helperId` at slot `at`, or undefined to keep the trampoline. `u32` views the arena (map headers). */
export function lowerXdpHelper(ctx: LowerContext, helperId: number, at: number, u32: Uint32Array): Expr | undefined {
  switch (helperId) {
    case XdpHelperId.REDIRECT: return redirect(ctx);
    case XdpHelperId.REDIRECT_MAP: return redirectMap(ctx, at, u32);
    case XdpHelperId.XDP_ADJUST_HEAD: return adjustHead(ctx, at);
    case XdpHelperId.XDP_ADJUST_META: return adjustMeta(ctx);
    case XdpHelperId.XDP_ADJUST_TAIL: return adjustTail(ctx, at);
    case XdpHelperId.XDP_GET_BUFF_LEN: return buffLen(ctx);
    case XdpHelperId.XDP_LOAD_BYTES: return loadStoreBytes(ctx, at, false);
    case XdpHelperId.XDP_STORE_BYTES: return loadStoreBytes(ctx, at, true);
    default: return undefined;
  }
}

/** Stores {kind, target, map, value, flags} into this CPU's RedirectState (redirect.ts setRedirect). */
function setRedirect(ctx: LowerContext, kind: Expr, target: Expr, map: Expr, value?: Expr, flags?: Expr): Expr[] {
  const { m } = ctx;
  const base = (): Expr => m.global.get(Names.redirect, i32);
  return [
    m.i32.store(RedirectState.KIND, 4, base(), kind),
    m.i32.store(RedirectState.TARGET, 4, base(), target),
    m.i32.store(RedirectState.MAP, 4, base(), map),
    m.i32.store(RedirectState.VALUE, 4, base(), value ?? m.i32.const(0)),
    m.i32.store(RedirectState.FLAGS, 4, base(), flags ?? m.i32.const(0)),
  ];
}

function redirect(ctx: LowerContext): Expr {
  const { m } = ctx;
  const r0 = ctx.tempI64();
  return m.block(null, [
    m.if(m.i64.ne(ctx.get(2), m.i64.const(0n)),
      m.local.set(r0, retConst(ctx, XdpAction.ABORTED)),
      m.block(null, [
        ...setRedirect(ctx, m.i32.const(RedirectKind.IFINDEX), m.i32.wrap(ctx.get(1)), m.i32.const(0)),
        m.local.set(r0, retConst(ctx, XdpAction.REDIRECT)),
      ])),
    m.local.get(r0, i64),
  ], i64);
}

const SLOT_KIND: ReadonlyMap<number, number> = new Map([
  [MapType.DEVMAP, RedirectKind.IFINDEX], [MapType.CPUMAP, RedirectKind.CPU], [MapType.XSKMAP, RedirectKind.XSK],
]);

/** The slot-array header fields redirect_map reads: constants when the map is known at compile time, else loads. */
interface SlotMapFields {
  readonly maxEntries: () => Expr;
  readonly present: () => Expr;
  readonly data: () => Expr;
  readonly stride: () => Expr;
}

/** The map redirect_map names, and its lookup: the value address of the index (an i32 expression), or 0. */
interface RedirectTarget {
  readonly map: () => Expr;
  readonly lookup: (index: () => Expr) => Expr;
}

/** The slot's value address when it holds an object (SlotArrayMap.slot: the presence word, read atomically). */
function slotTarget(ctx: LowerContext, map: () => Expr, f: SlotMapFields): RedirectTarget {
  const { m } = ctx;
  return {
    map,
    lookup: (idx) => m.if(m.i32.lt_u(idx(), f.maxEntries()),
      m.if(m.i32.atomic.load(0, m.i32.add(f.present(), m.i32.shl(idx(), m.i32.const(2)))),
        m.i32.add(f.data(), m.i32.mul(idx(), f.stride())),
        m.i32.const(0)),
      m.i32.const(0)),
  };
}

/**
 * redirect_map specialised per map (jit/lower-map-dispatch.ts: the map known in the block, or one of the
 * program's maps tested at run time where clang merged the program's calls into one site, as
 * programs/devmap_flood.c's four calls), any other map through the run-time header read below.
 */
function redirectMap(ctx: LowerContext, at: number, u32: Uint32Array): Expr {
  return lowerPerMap(ctx, (mapAddr) => redirectKnownMap(ctx, mapAddr, u32), () => redirectAnyMap(ctx, at)) ?? redirectAnyMap(ctx, at);
}

/** redirect_map on the map at `mapAddr`, its header fields constants; undefined for other map types. */
function redirectKnownMap(ctx: LowerContext, mapAddr: number, u32: Uint32Array): Expr | undefined {
  const { m } = ctx;
  if (mapAddr % 4 !== 0) return undefined;
  const hdr = (off: number): number => u32[(mapAddr + off) >>> 2]!;
  const c = (v: number) => (): Expr => m.i32.const(v | 0);
  const devmapHash = readDevmapHashLayout(u32, mapAddr);
  if (devmapHash !== undefined) {
    return redirectSlot(ctx, m.i32.const(RedirectKind.IFINDEX), RedirectKind.IFINDEX, { map: c(mapAddr), lookup: (idx) => devmapHashLookup(ctx, devmapHash, idx()) });
  }
  const kind = SLOT_KIND.get(hdr(MapHdr.TYPE));
  if (kind === undefined) return undefined;
  return redirectSlot(ctx, m.i32.const(kind), kind, slotTarget(ctx, c(mapAddr), {
    maxEntries: c(hdr(MapHdr.MAX_ENTRIES)), present: c(hdr(SlotArrayHdr.PRESENT)), data: c(hdr(MapHdr.DATA)), stride: c(hdr(MapHdr.VALUE_STRIDE)),
  }));
}

function redirectAnyMap(ctx: LowerContext, at: number): Expr {
  const { m } = ctx;
  // A call site reached with several maps (clang merges `bpf_redirect_map(cond ? &a : &b, ...)`): the
  // verifier proved r1 a map pointer, so its header is read at run time; other map types use the trampoline.
  const map = ctx.tempI32();
  const type = ctx.tempI32();
  const kind = ctx.tempI32();
  const field = (off: number) => (): Expr => m.i32.load(off, 4, m.local.get(map, i32));
  const isType = (t: number): Expr => m.i32.eq(m.local.get(type, i32), m.i32.const(t));
  const r0 = ctx.tempI64();
  return m.block(null, [
    m.local.set(map, m.i32.wrap(ctx.get(1))),
    m.local.set(type, m.i32.load(MapHdr.TYPE, 4, m.local.get(map, i32))),
    m.local.set(kind, m.if(isType(MapType.DEVMAP), m.i32.const(RedirectKind.IFINDEX),
      m.if(isType(MapType.CPUMAP), m.i32.const(RedirectKind.CPU),
        m.if(isType(MapType.XSKMAP), m.i32.const(RedirectKind.XSK), m.i32.const(RedirectKind.NONE))))),
    m.local.set(r0, m.if(m.i32.eqz(m.local.get(kind, i32)),
      trampolineCall(ctx, XdpHelperId.REDIRECT_MAP, at),
      redirectSlot(ctx, m.local.get(kind, i32), undefined, slotTarget(ctx, () => m.local.get(map, i32), {
        maxEntries: field(MapHdr.MAX_ENTRIES), present: field(SlotArrayHdr.PRESENT), data: field(MapHdr.DATA), stride: field(MapHdr.VALUE_STRIDE),
      })))),
    m.local.get(r0, i64),
  ], i64);
}

/**
 * __bpf_xdp_redirect_map over a slot array: `kindExpr` is the RedirectKind (an i32 expression), `kind` the
 * same when known at compile time (undefined: decided at run time).
 */
function redirectSlot(ctx: LowerContext, kindExpr: Expr, kind: number | undefined, f: RedirectTarget): Expr {
  const { m } = ctx;
  const r0 = ctx.tempI64();
  const index = ctx.tempI32();
  const value = ctx.tempI32();
  const kindL = ctx.tempI32();
  const idx = (): Expr => m.local.get(index, i32);
  const val = (): Expr => m.local.get(value, i32);
  const flags = (): Expr => ctx.get(3);
  const isIfindex = (): Expr => (kind === undefined ? m.i32.eq(m.local.get(kindL, i32), m.i32.const(RedirectKind.IFINDEX)) : m.i32.const(kind === RedirectKind.IFINDEX ? 1 : 0));
  // Flags the map type allows: the action bits, and for device maps BROADCAST / EXCLUDE_INGRESS.
  const allowed = m.i64.extend_u(m.select(isIfindex(), m.i32.const(ACTION_MASK | BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS), m.i32.const(ACTION_MASK)));
  const lookup = f.lookup(idx);
  const target = kind === undefined
    ? m.if(isIfindex(), m.i32.load(0, 4, val()), idx())
    : kind === RedirectKind.IFINDEX ? m.i32.load(0, 4, val()) : idx();
  const found = m.block(null, [
    ...setRedirect(ctx, m.local.get(kindL, i32), target, f.map(), val()),
    m.local.set(r0, retConst(ctx, XdpAction.REDIRECT)),
  ]);
  const empty = m.block(null, [
    ...setRedirect(ctx, m.i32.const(RedirectKind.NONE), m.i32.const(0), m.i32.const(0)),
    m.local.set(r0, m.i64.and(flags(), m.i64.const(BigInt(ACTION_MASK)))),
  ]);
  const broadcast = m.block(null, [
    ...setRedirect(ctx, m.i32.const(RedirectKind.BROADCAST), m.i32.const(0), f.map(), val(), m.i32.wrap(flags())),
    m.local.set(r0, retConst(ctx, XdpAction.REDIRECT)),
  ]);
  const decide = m.if(m.i32.and(isIfindex(), m.i64.ne(m.i64.and(flags(), m.i64.const(BigInt(BPF_F_BROADCAST))), m.i64.const(0n))),
    broadcast,
    m.if(m.i32.eqz(val()), empty, found));
  return m.block(null, [
    m.local.set(kindL, kindExpr),
    m.if(m.i64.ne(m.i64.and(flags(), m.i64.xor(allowed, m.i64.const(-1n))), m.i64.const(0n)),
      m.local.set(r0, retConst(ctx, XdpAction.ABORTED)),
      m.block(null, [m.local.set(index, m.i32.wrap(ctx.get(2))), m.local.set(value, lookup), decide])),
    m.local.get(r0, i64),
  ], i64);
}

/** A descriptor field of the running frame (the `ctx` global: the xdp_md the helper's c.ctx names). */
const descField = (ctx: LowerContext, off: number): Expr => ctx.m.i32.load(off, 4, ctx.m.global.get(Names.ctx, i32));
const setDescField = (ctx: LowerContext, off: number, v: Expr): Expr => ctx.m.i32.store(off, 4, ctx.m.global.get(Names.ctx, i32), v);
/** A u32 as i64 (an address, exactly). */
const wide = (ctx: LowerContext, v: Expr): Expr => ctx.m.i64.extend_u(v);
/** r`n`'s low word as a signed offset in i64 (the kernel's `int offset`). */
const offsetArg = (ctx: LowerContext, n: number): Expr => ctx.m.i64.extend32_s(ctx.get(n));

function adjustHead(ctx: LowerContext, at: number): Expr {
  const { m } = ctx;
  const r0 = ctx.tempI64();
  const data = ctx.tempI64();
  const end = ctx.tempI64();
  const newData = ctx.tempI64();
  const g = (l: number): Expr => m.local.get(l, i64);
  return m.block(null, [
    m.local.set(data, wide(ctx, descField(ctx, Desc.DATA))),
    m.if(m.i64.ne(g(data), wide(ctx, descField(ctx, Desc.DATA_META))),
      // Metadata moves with the head (a memmove): the runtime's implementation does it.
      m.local.set(r0, trampolineCall(ctx, XdpHelperId.XDP_ADJUST_HEAD, at)),
      m.block(null, [
        m.local.set(end, wide(ctx, descField(ctx, Desc.DATA_END))),
        m.local.set(newData, m.i64.add(g(data), offsetArg(ctx, 2))),
        m.if(m.i32.or(
          m.i64.lt_s(g(newData), m.i64.add(wide(ctx, descField(ctx, Desc.SLOT)), m.i64.const(BigInt(XDP_FRAME_SIZE)))),
          m.i64.gt_s(g(newData), m.i64.sub(g(end), m.i64.const(BigInt(ETH_HLEN))))),
        m.local.set(r0, retConst(ctx, -Errno.EINVAL)),
        m.block(null, [
          setDescField(ctx, Desc.DATA_META, m.i32.wrap(g(newData))),
          setDescField(ctx, Desc.DATA, m.i32.wrap(g(newData))),
          m.local.set(r0, retConst(ctx, 0)),
        ])),
      ])),
    g(r0),
  ], i64);
}

function adjustMeta(ctx: LowerContext): Expr {
  const { m } = ctx;
  const r0 = ctx.tempI64();
  const data = ctx.tempI64();
  const meta = ctx.tempI64();
  const metalen = ctx.tempI64();
  const g = (l: number): Expr => m.local.get(l, i64);
  return m.block(null, [
    m.local.set(data, wide(ctx, descField(ctx, Desc.DATA))),
    m.local.set(meta, m.i64.add(wide(ctx, descField(ctx, Desc.DATA_META)), offsetArg(ctx, 2))),
    m.local.set(metalen, m.i64.sub(g(data), g(meta))),
    m.if(m.i32.or(
      m.i64.lt_s(g(meta), m.i64.add(wide(ctx, descField(ctx, Desc.SLOT)), m.i64.const(BigInt(XDP_FRAME_SIZE)))),
      m.i64.gt_s(g(meta), g(data))),
    m.local.set(r0, retConst(ctx, -Errno.EINVAL)),
    m.if(m.i32.or(
      m.i64.ne(m.i64.and(g(metalen), m.i64.const(3n)), m.i64.const(0n)),
      m.i64.gt_s(g(metalen), m.i64.const(BigInt(META_MAX)))),
    m.local.set(r0, retConst(ctx, -Errno.EACCES)),
    m.block(null, [
      setDescField(ctx, Desc.DATA_META, m.i32.wrap(g(meta))),
      m.local.set(r0, retConst(ctx, 0)),
    ]))),
    g(r0),
  ], i64);
}

/** True when the frame has fragments (xdp-buff.ts: a fragment table with nr_frags > 0). */
function hasFrags(ctx: LowerContext): Expr {
  const { m } = ctx;
  const table = ctx.tempI32();
  return m.block(null, [
    m.local.set(table, descField(ctx, Desc.FRAGS_ADDR)),
    m.if(m.i32.eqz(m.local.get(table, i32)), m.i32.const(0), m.i32.ne(m.i32.load(0, 4, m.local.get(table, i32)), m.i32.const(0))),
  ], i32);
}

function adjustTail(ctx: LowerContext, at: number): Expr {
  const { m } = ctx;
  const r0 = ctx.tempI64();
  const end = ctx.tempI64();
  const newEnd = ctx.tempI64();
  const p = ctx.tempI32();
  const g = (l: number): Expr => m.local.get(l, i64);
  const hardEnd = m.i64.add(wide(ctx, descField(ctx, Desc.SLOT)), m.i64.const(BigInt(FRAME_SLOT_SIZE - TAILROOM)));
  // Kernel: grown bytes are cleared, they may hold stale memory (at most the tailroom, byte by byte).
  const zeroGrown = m.block(null, [
    m.local.set(p, m.i32.wrap(g(end))),
    m.loop('zero', m.if(m.i32.lt_u(m.local.get(p, i32), m.i32.wrap(g(newEnd))), m.block(null, [
      m.i64.store8(0, 1, m.local.get(p, i32), m.i64.const(0n)),
      m.local.set(p, m.i32.add(m.local.get(p, i32), m.i32.const(1))),
      m.br('zero'),
    ]))),
  ]);
  return m.block(null, [
    m.if(hasFrags(ctx),
      m.local.set(r0, trampolineCall(ctx, XdpHelperId.XDP_ADJUST_TAIL, at)),
      m.block(null, [
        m.local.set(end, wide(ctx, descField(ctx, Desc.DATA_END))),
        m.local.set(newEnd, m.i64.add(g(end), offsetArg(ctx, 2))),
        m.if(m.i32.or(
          m.i64.gt_s(g(newEnd), hardEnd),
          m.i64.lt_s(g(newEnd), m.i64.add(wide(ctx, descField(ctx, Desc.DATA)), m.i64.const(BigInt(ETH_HLEN))))),
        m.local.set(r0, retConst(ctx, -Errno.EINVAL)),
        m.block(null, [
          zeroGrown,
          setDescField(ctx, Desc.DATA_END, m.i32.wrap(g(newEnd))),
          m.local.set(r0, retConst(ctx, 0)),
        ])),
      ])),
    g(r0),
  ], i64);
}

function buffLen(ctx: LowerContext): Expr {
  const { m } = ctx;
  return m.i64.extend_u(m.i32.add(
    m.i32.sub(descField(ctx, Desc.DATA_END), descField(ctx, Desc.DATA)),
    descField(ctx, Desc.FRAGS_LEN)));
}

/**
 * Within the linear part, and the buffer not overlapping the packet bytes: a forward copy, 8 bytes then 1
 * at a time. Anything else (fragments, errors, overlap) is the runtime's implementation.
 */
function loadStoreBytes(ctx: LowerContext, at: number, toPacket: boolean): Expr {
  const { m } = ctx;
  const r0 = ctx.tempI64();
  const pkt = ctx.tempI32();
  const buf = ctx.tempI32();
  const len = ctx.tempI32();
  const k = ctx.tempI32();
  const off = ctx.tempI32();
  const l = (x: number): Expr => m.local.get(x, i32);
  const src = (): Expr => (toPacket ? l(buf) : l(pkt));
  const dst = (): Expr => (toPacket ? l(pkt) : l(buf));
  const fast = m.i32.and(
    m.i32.and(m.i32.le_u(l(off), m.i32.const(XDP_POINTER_MAX)), m.i32.le_u(l(len), m.i32.const(XDP_POINTER_MAX))),
    m.i32.and(
      m.i32.le_u(m.i32.add(l(off), l(len)), m.i32.sub(descField(ctx, Desc.DATA_END), descField(ctx, Desc.DATA))),
      // [pkt, pkt+len) and [buf, buf+len) disjoint (computed in i64: no wrap at the top of the arena).
      m.i32.or(
        m.i64.le_u(m.i64.add(m.i64.extend_u(l(pkt)), m.i64.extend_u(l(len))), m.i64.extend_u(l(buf))),
        m.i64.le_u(m.i64.add(m.i64.extend_u(l(buf)), m.i64.extend_u(l(len))), m.i64.extend_u(l(pkt)))),
    ));
  const copy = m.block(null, [
    m.local.set(k, m.i32.const(0)),
    m.loop('copy8', m.if(m.i32.le_u(m.i32.add(l(k), m.i32.const(8)), l(len)), m.block(null, [
      m.i64.store(0, 1, m.i32.add(dst(), l(k)), m.i64.load(0, 1, m.i32.add(src(), l(k)))),
      m.local.set(k, m.i32.add(l(k), m.i32.const(8))),
      m.br('copy8'),
    ]))),
    m.loop('copy1', m.if(m.i32.lt_u(l(k), l(len)), m.block(null, [
      m.i64.store8(0, 1, m.i32.add(dst(), l(k)), m.i64.load8_u(0, 1, m.i32.add(src(), l(k)))),
      m.local.set(k, m.i32.add(l(k), m.i32.const(1))),
      m.br('copy1'),
    ]))),
  ]);
  return m.block(null, [
    m.local.set(off, m.i32.wrap(ctx.get(2))),
    m.local.set(buf, m.i32.wrap(ctx.get(3))),
    m.local.set(len, m.i32.wrap(ctx.get(4))),
    m.local.set(pkt, m.i32.add(descField(ctx, Desc.DATA), l(off))),
    m.if(fast,
      m.block(null, [copy, m.local.set(r0, retConst(ctx, 0))]),
      m.local.set(r0, trampolineCall(ctx, toPacket ? XdpHelperId.XDP_STORE_BYTES : XdpHelperId.XDP_LOAD_BYTES, at))),
    m.local.get(r0, i64),
  ], i64);
}
