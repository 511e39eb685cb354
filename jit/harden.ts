/**
 * `--harden` (design.md §2): what a hardened module adds for programs from untrusted authors, so that a
 * verifier bug cannot let one program corrupt another program's maps or frames inside the shared arena.
 *
 * - Address masking: every load/store/atomic that reaches memory is confined to the object its base
 *   register points into (jit/pointer-provenance.ts): the packet [data_meta, end of the frame slot), this
 *   CPU's eBPF stack [stack_top - STACK_TOP, stack_top), the context (struct xdp_md of the running frame),
 *   or the value storage [valueStart, valueEnd) of the map it was looked up in. An address outside is
 *   replaced by the object's first byte (branch-free `select`, as the kernel's alu_limit masking keeps a
 *   speculated pointer inside its object), so a stray write lands in the program's own object. An access
 *   whose object the analysis could not name is checked at run time against every object the program may
 *   touch and traps (the frame fails, XDP_ABORTED) when it lies in none.
 * - Constant blinding: every instruction immediate is emitted as (imm ^ key) ^ key, key a random 64-bit
 *   value per compiled module imported as an immutable global (kernel: bpf_jit_blind_constants), so V8
 *   cannot fold it back and no program-chosen bit pattern appears in machine code.
 */
import { randomBytes } from 'node:crypto';
import binaryen from 'binaryen';
import { Desc, FRAME_SLOT_SIZE, STACK_TOP, XDP_MD_SIZE } from '../src/vm/arena-layout.js';
import type { Expr, LowerContext } from './lower-context.js';
import type { PointerKind } from './pointer-provenance.js';

/** An object's address range [start, end). */
export interface Region {
  readonly start: number;
  readonly end: number;
}

/** What the hardened module is specialised on: the key and the maps' value storage regions. */
export interface HardenSpec {
  /** The blinding key (a signed 64-bit value). */
  readonly key: bigint;
  /** Value storage of the map whose header is at the key address. */
  readonly mapValues: ReadonlyMap<number, Region>;
}

export const newBlindingKey = (): bigint => randomBytes(8).readBigInt64LE(0);

/** Name of the imported i64 global holding the blinding key (module-abi.ts: `blind`, only when hardened). */
export const BLIND_GLOBAL = 'blind';

export function blind64(ctx: LowerContext, spec: HardenSpec, value: bigint): Expr {
  const { m } = ctx;
  return m.i64.xor(m.i64.const(BigInt.asIntN(64, value ^ spec.key)), m.global.get(BLIND_GLOBAL, binaryen.i64));
}

export function blind32(ctx: LowerContext, spec: HardenSpec, value: number): Expr {
  const { m } = ctx;
  const key32 = Number(BigInt.asIntN(32, spec.key));
  return m.i32.xor(m.i32.const((value ^ key32) | 0), m.i32.wrap(m.global.get(BLIND_GLOBAL, binaryen.i64)));
}

/** `(addr - lo) <=u (span - size)`: [addr, addr+size) lies in [lo, lo+span). */
function inside(ctx: LowerContext, addr: number, lo: () => Expr, span: () => Expr, size: number): Expr {
  const { m } = ctx;
  return m.i32.le_u(m.i32.sub(m.local.get(addr, binaryen.i32), lo()), m.i32.sub(span(), m.i32.const(size)));
}

interface ObjectBounds {
  /** Statements computing lo into a local, when it is not a constant or global. */
  readonly setup: Expr[];
  readonly lo: () => Expr;
  readonly span: () => Expr;
}

function boundsOf(ctx: LowerContext, kind: 'ctx' | 'stack' | 'packet' | Region, names: { stackTop: string; ctx: string }): ObjectBounds {
  const { m } = ctx;
  const i32 = binaryen.i32;
  if (kind === 'stack') {
    return { setup: [], lo: () => m.i32.sub(m.global.get(names.stackTop, i32), m.i32.const(STACK_TOP)), span: () => m.i32.const(STACK_TOP) };
  }
  if (kind === 'ctx') return { setup: [], lo: () => m.global.get(names.ctx, i32), span: () => m.i32.const(XDP_MD_SIZE) };
  if (kind === 'packet') {
    // [data_meta, slot + FRAME_SLOT_SIZE): headroom below data_meta belongs to no one the program may write
    const lo = ctx.tempI32();
    const desc = (): Expr => m.global.get(names.ctx, i32);
    return {
      setup: [m.local.set(lo, m.i32.load(Desc.DATA_META, 4, desc()))],
      lo: () => m.local.get(lo, i32),
      span: () => m.i32.sub(m.i32.add(m.i32.load(Desc.SLOT, 4, desc()), m.i32.const(FRAME_SLOT_SIZE)), m.local.get(lo, i32)),
    };
  }
  return { setup: [], lo: () => m.i32.const(kind.start | 0), span: () => m.i32.const((kind.end - kind.start) | 0) };
}

/**
 * The confined i32 address for an access of `size` bytes at `addr` (an i32 expression) whose base register
 * has provenance `kind`.
 */
export function confineAddress(
  ctx: LowerContext, spec: HardenSpec, kind: PointerKind, addr: Expr, size: number, names: { stackTop: string; ctx: string },
): Expr {
  const { m } = ctx;
  const i32 = binaryen.i32;
  const t = ctx.tempI32();
  let object: 'ctx' | 'stack' | 'packet' | Region | undefined;
  if (kind === 'ctx' || kind === 'stack' || kind === 'packet') object = kind;
  else if (kind.startsWith('value:')) object = spec.mapValues.get(Number(kind.slice(6)));
  if (object !== undefined && (typeof object === 'string' || object.end - object.start >= size)) {
    const b = boundsOf(ctx, object, names);
    return m.block(null, [
      m.local.set(t, addr),
      ...b.setup,
      m.select(inside(ctx, t, b.lo, b.span, size), m.local.get(t, i32), b.lo()),
    ], i32);
  }
  // No object named: allow any object this program may touch, trap outside all of them.
  const candidates: ObjectBounds[] = [boundsOf(ctx, 'packet', names), boundsOf(ctx, 'stack', names), boundsOf(ctx, 'ctx', names)];
  for (const r of spec.mapValues.values()) if (r.end - r.start >= size) candidates.push(boundsOf(ctx, r, names));
  let ok = inside(ctx, t, candidates[0]!.lo, candidates[0]!.span, size);
  for (const c of candidates.slice(1)) ok = m.i32.or(ok, inside(ctx, t, c.lo, c.span, size));
  return m.block(null, [
    m.local.set(t, addr),
    ...candidates.flatMap((c) => c.setup),
    m.if(m.i32.eqz(ok), m.unreachable()),
    m.local.get(t, i32),
  ], i32);
}
