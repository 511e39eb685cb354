/**
 * The scalar domain: a tnum plus unsigned and signed bounds at 64 and 32 bits, the kernel's
 * `struct bpf_reg_state` numeric part (var_off, umin/umax/smin/smax_value, u32/s32_min/max_value).
 * Bounds are kept in sync by `boundsSync`, the kernel's reg_bounds_sync: each of the five views
 * tightens the others. Every operation over-approximates.
 *
 * 64-bit values are bigints: unsigned in [0, 2^64), signed in [-2^63, 2^63); 32-bit views likewise.
 */
import {
  type Tnum, TNUM_UNKNOWN, U32, U64, tnumAdd, tnumAnd, tnumArshift, tnumCast, tnumConst, tnumDisjoint,
  tnumIn, tnumIntersect, tnumIsConst, tnumLshift, tnumMul, tnumOr, tnumRange, tnumRshift, tnumString, tnumSub,
  tnumSubreg, tnumWithSubreg, tnumXor,
} from '../tnum.js';

export interface Range {
  readonly umin: bigint;
  readonly umax: bigint;
  readonly smin: bigint;
  readonly smax: bigint;
}

export interface Scalar {
  readonly var: Tnum;
  readonly r64: Range;
  readonly r32: Range;
}

export type Width = 32 | 64;
const umaxOf = (w: Width): bigint => (w === 64 ? U64 : U32);
const sminOf = (w: Width): bigint => -(1n << BigInt(w - 1));
const smaxOf = (w: Width): bigint => (1n << BigInt(w - 1)) - 1n;
const fullRange = (w: Width): Range => ({ umin: 0n, umax: umaxOf(w), smin: sminOf(w), smax: smaxOf(w) });
const asU = (w: Width, x: bigint): bigint => BigInt.asUintN(w, x);
const asS = (w: Width, x: bigint): bigint => BigInt.asIntN(w, x);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

export const FULL64 = Object.freeze(fullRange(64));
export const FULL32 = Object.freeze(fullRange(32));
/** The full range at a width, shared (ranges are immutable). */
const full = (w: Width): Range => (w === 64 ? FULL64 : FULL32);
const S64_BIAS = 1n << 63n;
const TWO64 = 1n << 64n;
const S32_BIAS = 1n << 31n;
const TWO32 = 1n << 32n;

const UNKNOWN: Scalar = Object.freeze({ var: TNUM_UNKNOWN, r64: FULL64, r32: FULL32 });
export const scalarUnknown = (): Scalar => UNKNOWN;

/**
 * Constants are immutable values: the ones a program uses (offsets, sizes, flags, actions) recur on every
 * path, so they are built once. Bigint keys compare by value in a Map; the table is dropped when it grows
 * past a bound so a program with many distinct constants cannot grow it without limit.
 */
const constCache = new Map<bigint, Scalar>();
const CONST_CACHE_MAX = 4096;

export function scalarConst(v: bigint): Scalar {
  const u = asU(64, v);
  const hit = constCache.get(u);
  if (hit) return hit;
  const l = u & U32;
  const s64 = asS(64, u);
  const s32 = asS(32, l);
  const c: Scalar = Object.freeze({
    var: Object.freeze(tnumConst(u)),
    r64: Object.freeze({ umin: u, umax: u, smin: s64, smax: s64 }),
    r32: Object.freeze({ umin: l, umax: l, smin: s32, smax: s32 }),
  });
  if (constCache.size >= CONST_CACHE_MAX) constCache.clear();
  constCache.set(u, c);
  return c;
}

export const isConst = (s: Scalar): boolean => tnumIsConst(s.var);

/** Bounds are contradictory: no concrete value satisfies all views (the path is infeasible). */
export function isBottom(s: Scalar): boolean {
  const bad = (r: Range): boolean => r.umin > r.umax || r.smin > r.smax;
  if (bad(s.r64) || bad(s.r32)) return true;
  if ((s.var.value & ~U64) !== 0n) return true;
  // The tnum must contain a value within the unsigned range.
  const tmin = s.var.value;
  const tmax = s.var.value | s.var.mask;
  return tmin > s.r64.umax || tmax < s.r64.umin;
}

/**
 * The bounds and known bits of one scalar under reg_bounds_sync, as mutable locals: the sync runs on every
 * ALU result and branch refinement, and building an object per intermediate step dominated verification
 * time. Field names follow the kernel's bpf_reg_state.
 */
class SyncWork {
  vv = 0n; vm = 0n;
  umin = 0n; umax = 0n; smin = 0n; smax = 0n;
  u32min = 0n; u32max = 0n; s32min = 0n; s32max = 0n;

  load(s: Scalar): void {
    this.vv = s.var.value; this.vm = s.var.mask;
    this.umin = s.r64.umin; this.umax = s.r64.umax; this.smin = s.r64.smin; this.smax = s.r64.smax;
    this.u32min = s.r32.umin; this.u32max = s.r32.umax; this.s32min = s.r32.smin; this.s32max = s.r32.smax;
  }

  store(): Scalar {
    return {
      var: { value: this.vv, mask: this.vm },
      r64: { umin: this.umin, umax: this.umax, smin: this.smin, smax: this.smax },
      r32: { umin: this.u32min, umax: this.u32max, smin: this.s32min, smax: this.s32max },
    };
  }

  /** __update_reg32_bounds / __update_reg64_bounds: bounds implied by the known bits. */
  boundsFromTnum(): void {
    const v = this.vv;
    const m = this.vm;
    this.smin = max(this.smin, asS(64, v | (m & S64_BIAS)));
    this.smax = min(this.smax, asS(64, v | (m & (S64_BIAS - 1n))));
    this.umin = max(this.umin, v);
    this.umax = min(this.umax, v | m);
    const v32 = v & U32;
    const m32 = m & U32;
    this.s32min = max(this.s32min, asS(32, v32 | (m32 & S32_BIAS)));
    this.s32max = min(this.s32max, asS(32, v32 | (m32 & (S32_BIAS - 1n))));
    this.u32min = max(this.u32min, v32);
    this.u32max = min(this.u32max, v32 | m32);
  }

  /** __reg32_deduce_bounds: the low 32 bits from 64-bit bounds whose upper halves agree. */
  deduce32From64(): void {
    const { umin, umax, smin, smax } = this;
    if (umin >> 32n === umax >> 32n) {
      this.u32min = max(this.u32min, umin & U32);
      this.u32max = min(this.u32max, umax & U32);
      const a = asS(32, umin);
      const b = asS(32, umax);
      if (a <= b) { this.s32min = max(this.s32min, a); this.s32max = min(this.s32max, b); }
    }
    if (smin >> 32n === smax >> 32n) {
      this.u32min = max(this.u32min, smin & U32);
      this.u32max = min(this.u32max, smax & U32);
      const a = asS(32, smin);
      const b = asS(32, smax);
      if (a <= b) { this.s32min = max(this.s32min, a); this.s32max = min(this.s32max, b); }
    }
    const r = deduceWithin(this.u32min, this.u32max, this.s32min, this.s32max, 32);
    this.u32min = r.umin; this.u32max = r.umax; this.s32min = r.smin; this.s32max = r.smax;
  }

  /** __reg_deduce_mixed_bounds: 64-bit bounds refined by the known range of the low half. */
  deduce64From32(): void {
    const umin = max(this.umin, (this.umin & HI_MASK) | this.u32min);
    const umax = min(this.umax, (this.umax & HI_MASK) | this.u32max);
    // Signed: only when the low half's unsigned range is the whole story of the low bits.
    const smin = max(this.smin, asS(64, ((this.smin & U64) & HI_MASK) | this.u32min));
    const smax = min(this.smax, asS(64, ((this.smax & U64) & HI_MASK) | this.u32max));
    if (umin > umax || smin > smax) { this.umin = umin; this.umax = umax; this.smin = smin; this.smax = smax; return; }
    const r = deduceWithin(umin, umax, smin, smax, 64);
    this.umin = r.umin; this.umax = r.umax; this.smin = r.smin; this.smax = r.smax;
  }

  /** __reg_bound_offset: known bits implied by the bounds. */
  tnumFromBounds(): void {
    if (this.umin > this.umax || this.u32min > this.u32max) return;
    const v64 = tnumIntersect({ value: this.vv, mask: this.vm }, tnumRange(this.umin, this.umax));
    const v32 = tnumIntersect(tnumSubreg(v64), tnumRange(this.u32min, this.u32max));
    const t = tnumWithSubreg(v64, v32);
    this.vv = t.value; this.vm = t.mask;
  }

  isBottom(): boolean {
    if (this.umin > this.umax || this.smin > this.smax || this.u32min > this.u32max || this.s32min > this.s32max) return true;
    if ((this.vv & ~U64) !== 0n) return true;
    return this.vv > this.umax || (this.vv | this.vm) < this.umin;
  }
}

const HI_MASK = U64 & ~U32;
const work = new SyncWork();

/** Within one width: signed bounds from unsigned ones when they do not cross the sign boundary, and back. */
function deduceWithin(umin0: bigint, umax0: bigint, smin0: bigint, smax0: bigint, w: Width): Range {
  let umin = umin0;
  let umax = umax0;
  let smin = smin0;
  let smax = smax0;
  const sumin = asS(w, umin);
  const sumax = asS(w, umax);
  if (sumin <= sumax) {
    smin = max(smin, sumin);
    smax = min(smax, sumax);
  }
  const usmin = asU(w, smin);
  const usmax = asU(w, smax);
  if (usmin <= usmax) {
    umin = max(umin, usmin);
    umax = min(umax, usmax);
  } else if (umax < usmin) {
    // The signed range crosses zero: [smin, -1] ∪ [0, smax]. The unsigned range rules out the negative
    // part (it lies above umax as unsigned), so only [0, smax] ∩ [umin, umax] remains (kernel 6.18).
    smin = asS(w, umin);
    umax = min(umax, smax);
  } else if (usmax < umin) {
    // ... or rules out the non-negative part.
    smax = asS(w, umax);
    umin = max(umin, usmin);
  }
  return { umin, umax, smin, smax };
}

/** reg_bounds_sync. A result that `isBottom` means the constraints are contradictory. */
export function boundsSync(s0: Scalar): Scalar {
  // Fast paths with the same result as the full computation: a value with nothing known stays so, and a
  // known value whose every view admits it is exactly that constant.
  if (s0.var === TNUM_UNKNOWN && s0.r64 === FULL64 && s0.r32 === FULL32) return s0;
  if (s0.var.mask === 0n) {
    const c = constWithin(s0);
    if (c) return c;
  }
  const w = work;
  w.load(s0);
  w.boundsFromTnum();
  for (let i = 0; i < 2; i++) {
    const { vv, vm, umin, umax, smin, smax, u32min, u32max, s32min, s32max } = w;
    w.deduce32From64();
    w.deduce64From32();
    w.deduce32From64();
    if (w.isBottom()) return w.store();
    w.tnumFromBounds();
    w.boundsFromTnum();
    if (vv === w.vv && vm === w.vm && umin === w.umin && umax === w.umax && smin === w.smin && smax === w.smax
      && u32min === w.u32min && u32max === w.u32max && s32min === w.s32min && s32max === w.s32max) break;
  }
  return w.store();
}

/** The constant a known tnum names, when all four ranges admit it (else undefined: the bounds decide). */
function constWithin(s: Scalar): Scalar | undefined {
  const u = s.var.value;
  if (u > U64 || u < 0n) return undefined;
  const { r64, r32 } = s;
  if (u < r64.umin || u > r64.umax) return undefined;
  const sx = u >= S64_BIAS ? u - TWO64 : u;
  if (sx < r64.smin || sx > r64.smax) return undefined;
  const l = u & U32;
  if (l < r32.umin || l > r32.umax) return undefined;
  const sl = l >= S32_BIAS ? l - TWO32 : l;
  if (sl < r32.smin || sl > r32.smax) return undefined;
  return scalarConst(u);
}

/** The low 32 bits as a zero-extended 64-bit scalar (ALU32 result, 32-bit load...). */
export function zext32(s: Scalar): Scalar {
  const r = s.r32;
  return boundsSync({
    var: tnumSubreg(s.var),
    r64: { umin: r.umin, umax: r.umax, smin: r.umin, smax: r.umax },
    r32: r,
  });
}

/** Any value of the given byte size, zero-extended (a load of unknown bytes). */
export function scalarOfSize(bytes: number): Scalar {
  if (bytes >= 8) return scalarUnknown();
  let s = ofSizeCache[bytes];
  if (!s) {
    const m = (1n << BigInt(bytes * 8)) - 1n;
    s = Object.freeze(boundsSync({ var: { value: 0n, mask: m }, r64: { umin: 0n, umax: m, smin: 0n, smax: m }, r32: FULL32 }));
    ofSizeCache[bytes] = s;
  }
  return s;
}
/** Loads are of 1, 2 and 4 bytes over and over: their results are immutable, built once. */
const ofSizeCache: (Scalar | undefined)[] = [];

/** Sign-extending a `bytes`-wide value (MOVSX, LDSX) to 64 bits. */
export function signExtend(s: Scalar, bytes: number): Scalar {
  const bits = bytes * 8;
  const t = tnumCast(s.var, bytes);
  if (tnumIsConst(t)) return scalarConst(BigInt.asIntN(bits, t.value));
  const sign = 1n << BigInt(bits - 1);
  const lo = -sign;
  const hi = sign - 1n;
  // The sign bit known → the tnum extends; unknown → the upper bits are unknown too.
  let v: Tnum;
  if ((t.mask & sign) !== 0n) v = { value: t.value, mask: (t.mask | (U64 & ~((sign << 1n) - 1n))) & U64 };
  else if ((t.value & sign) !== 0n) v = { value: (t.value | (U64 & ~((sign << 1n) - 1n))) & U64, mask: t.mask };
  else v = t;
  // Bounds: when the source's signed range at that width is known use it.
  let smin = lo;
  let smax = hi;
  if (bits === 32) { smin = s.r32.smin; smax = s.r32.smax; }
  else if (bits === 64) { smin = s.r64.smin; smax = s.r64.smax; }
  return boundsSync({ var: v, r64: { ...FULL64, smin, smax }, r32: FULL32 });
}

// ---------------------------------------------------------------------------------------------
// ALU at one width (the kernel's scalar{,32}_min_max_<op>): pure functions over a Range.

type RangeOp = (a: Range, b: Range, w: Width, res: Tnum) => Range;

const signedFromUnsignedIfSafe = (umin: bigint, umax: bigint, w: Width): Range =>
  asS(w, umin) <= asS(w, umax)
    ? { umin, umax, smin: asS(w, umin), smax: asS(w, umax) }
    : { ...full(w), umin, umax };

const rangeAdd: RangeOp = (a, b, w) => {
  const r = full(w);
  const smin = a.smin + b.smin;
  const smax = a.smax + b.smax;
  const sOk = smin >= r.smin && smax <= r.smax;
  const uOk = a.umax + b.umax <= r.umax;
  return {
    smin: sOk ? smin : r.smin, smax: sOk ? smax : r.smax,
    umin: uOk ? a.umin + b.umin : 0n, umax: uOk ? a.umax + b.umax : r.umax,
  };
};

const rangeSub: RangeOp = (a, b, w) => {
  const r = full(w);
  const smin = a.smin - b.smax;
  const smax = a.smax - b.smin;
  const sOk = smin >= r.smin && smax <= r.smax;
  const uOk = a.umin >= b.umax;
  return {
    smin: sOk ? smin : r.smin, smax: sOk ? smax : r.smax,
    umin: uOk ? a.umin - b.umax : 0n, umax: uOk ? a.umax - b.umin : r.umax,
  };
};

const rangeMul: RangeOp = (a, b, w) => {
  const r = full(w);
  const uOk = a.umax * b.umax <= r.umax;
  const prods = [a.smin * b.smin, a.smin * b.smax, a.smax * b.smin, a.smax * b.smax];
  const smin = prods.reduce(min);
  const smax = prods.reduce(max);
  const sOk = smin >= r.smin && smax <= r.smax;
  return {
    umin: uOk ? a.umin * b.umin : 0n, umax: uOk ? a.umax * b.umax : r.umax,
    smin: sOk ? smin : r.smin, smax: sOk ? smax : r.smax,
  };
};

const rangeAnd: RangeOp = (a, b, w, res) => {
  const t = w === 32 ? tnumSubreg(res) : res;
  return signedFromUnsignedIfSafe(t.value, min(a.umax, b.umax), w);
};

const rangeOr: RangeOp = (a, b, w, res) => {
  const t = w === 32 ? tnumSubreg(res) : res;
  return signedFromUnsignedIfSafe(max(a.umin, b.umin), t.value | t.mask, w);
};

const rangeXor: RangeOp = (_a, _b, w, res) => {
  const t = w === 32 ? tnumSubreg(res) : res;
  return signedFromUnsignedIfSafe(t.value, t.value | t.mask, w);
};

export type ScalarAluOp = 'add' | 'sub' | 'mul' | 'and' | 'or' | 'xor' | 'lsh' | 'rsh' | 'arsh';

const tnumOps: Record<'add' | 'sub' | 'mul' | 'and' | 'or' | 'xor', (a: Tnum, b: Tnum) => Tnum> = {
  add: tnumAdd, sub: tnumSub, mul: tnumMul, and: tnumAnd, or: tnumOr, xor: tnumXor,
};
const rangeOps: Record<'add' | 'sub' | 'mul' | 'and' | 'or' | 'xor', RangeOp> = {
  add: rangeAdd, sub: rangeSub, mul: rangeMul, and: rangeAnd, or: rangeOr, xor: rangeXor,
};

/**
 * dst = dst OP src at `width` (64: ALU64; 32: ALU32 with zero-extension of the result). Shifts need a
 * constant amount below the width, else the result is unknown (kernel: is_safe_to_compute_dst_reg_range).
 */
export function scalarAlu(op: ScalarAluOp, a: Scalar, b: Scalar, width: Width): Scalar {
  // Two known operands give the known result (what the tnum and range transfer functions yield for them).
  if (a.var.mask === 0n && b.var.mask === 0n) {
    const c = constAlu(op, a.var.value, b.var.value, width);
    if (c !== undefined) return scalarConst(c);
  }
  if (op === 'lsh' || op === 'rsh' || op === 'arsh') return scalarShift(op, a, b, width);
  const t = tnumOps[op](a.var, b.var);
  const rop = rangeOps[op];
  if (width === 64) {
    const r32 = rop(a.r32, b.r32, 32, t);
    return boundsSync({ var: t, r64: rop(a.r64, b.r64, 64, t), r32 });
  }
  const t32 = tnumSubreg(tnumOps[op](tnumSubreg(a.var), tnumSubreg(b.var)));
  const r32 = rop(a.r32, b.r32, 32, t32);
  return zext32(boundsSync({ var: tnumWithSubreg(TNUM_UNKNOWN, t32), r64: FULL64, r32 }));
}

/** The concrete ALU result at `width` (zero-extended for 32), or undefined where the domain gives no constant. */
function constAlu(op: ScalarAluOp, x0: bigint, y0: bigint, width: Width): bigint | undefined {
  const m = width === 64 ? U64 : U32;
  const x = x0 & m;
  const y = y0 & m;
  switch (op) {
    case 'add': return (x + y) & m;
    case 'sub': return (x - y) & m;
    case 'mul': return (x * y) & m;
    case 'and': return x & y;
    case 'or': return x | y;
    case 'xor': return x ^ y;
    case 'lsh': return y < BigInt(width) ? (x << y) & m : undefined;
    case 'rsh': return y < BigInt(width) ? x >> y : undefined;
    case 'arsh': return y < BigInt(width) ? (asS(width, x) >> y) & m : undefined;
  }
}

function scalarShift(op: 'lsh' | 'rsh' | 'arsh', a: Scalar, b: Scalar, width: Width): Scalar {
  const amount = width === 32 ? tnumSubreg(b.var) : b.var;
  if (!tnumIsConst(amount) || amount.value >= BigInt(width)) {
    return width === 64 ? scalarUnknown() : zext32(scalarUnknown());
  }
  const s = Number(amount.value);
  if (width === 64) {
    const sh = BigInt(s);
    switch (op) {
      case 'lsh': {
        const t = tnumLshift(a.var, s);
        const ok = (a.r64.umax << sh) <= U64;
        return boundsSync({ var: t, r64: ok ? { ...FULL64, umin: a.r64.umin << sh, umax: a.r64.umax << sh } : FULL64, r32: FULL32 });
      }
      case 'rsh':
        return boundsSync({ var: tnumRshift(a.var, s), r64: { ...FULL64, umin: a.r64.umin >> sh, umax: a.r64.umax >> sh }, r32: FULL32 });
      case 'arsh':
        return boundsSync({ var: tnumArshift(a.var, s, 64), r64: { ...FULL64, smin: a.r64.smin >> sh, smax: a.r64.smax >> sh }, r32: FULL32 });
    }
  }
  const sh = BigInt(s);
  const t32 = tnumSubreg(a.var);
  let r32: Range;
  let v: Tnum;
  switch (op) {
    case 'lsh': {
      v = tnumSubreg(tnumLshift(t32, s));
      const ok = (a.r32.umax << sh) <= U32;
      r32 = ok ? { ...FULL32, umin: a.r32.umin << sh, umax: a.r32.umax << sh } : FULL32;
      break;
    }
    case 'rsh':
      v = tnumRshift(t32, s);
      r32 = { ...FULL32, umin: a.r32.umin >> sh, umax: a.r32.umax >> sh };
      break;
    case 'arsh':
      v = tnumArshift(t32, s, 32);
      r32 = { ...FULL32, smin: a.r32.smin >> sh, smax: a.r32.smax >> sh };
      break;
  }
  return zext32(boundsSync({ var: tnumWithSubreg(TNUM_UNKNOWN, v), r64: FULL64, r32 }));
}

/** Byte swap (BPF_END / BSWAP) of the low `bits`: exact on constants, else the low `bits` are unknown. */
export function scalarBswap(a: Scalar, bits: 16 | 32 | 64, swap: boolean): Scalar {
  const m = bits === 64 ? U64 : (1n << BigInt(bits)) - 1n;
  if (isConst(a)) {
    let v = a.var.value & m;
    if (swap) {
      let out = 0n;
      for (let i = 0; i < bits / 8; i++) { out = (out << 8n) | (v & 0xffn); v >>= 8n; }
      v = out;
    }
    return scalarConst(v);
  }
  if (!swap) return boundsSync({ var: tnumCast(a.var, bits / 8), r64: FULL64, r32: FULL32 });
  return scalarOfSize(bits / 8);
}

/** Division/modulo (signed or not): exact on constants (RFC 9669 §4.1: x/0 = 0, x%0 = x), else unknown. */
export function scalarDivMod(a: Scalar, b: Scalar, width: Width, mod: boolean, signed: boolean): Scalar {
  const w = width;
  const av = w === 32 ? tnumSubreg(a.var) : a.var;
  const bv = w === 32 ? tnumSubreg(b.var) : b.var;
  if (tnumIsConst(av) && tnumIsConst(bv)) {
    let x = av.value;
    let y = bv.value;
    let r: bigint;
    if (y === 0n) r = mod ? x : 0n;
    else if (signed) {
      x = asS(w, x); y = asS(w, y);
      r = mod ? x % y : x / y;
    } else r = mod ? x % y : x / y;
    return w === 32 ? scalarConst(asU(32, r)) : scalarConst(r);
  }
  // Unsigned division cannot grow the dividend; modulo by a constant is below it.
  if (!signed && tnumIsConst(bv) && bv.value !== 0n) {
    const r = w === 32 ? a.r32 : a.r64;
    const lim = mod ? bv.value - 1n : r.umax / bv.value;
    const lo = mod ? 0n : r.umin / bv.value;
    const res: Range = { ...full(w), umin: lo, umax: lim };
    if (w === 32) return zext32(boundsSync({ var: TNUM_UNKNOWN, r64: FULL64, r32: res }));
    return boundsSync({ var: TNUM_UNKNOWN, r64: res, r32: FULL32 });
  }
  return w === 32 ? zext32(scalarUnknown()) : scalarUnknown();
}

export function scalarNeg(a: Scalar, width: Width): Scalar {
  return scalarAlu('sub', scalarConst(0n), a, width);
}

// ---------------------------------------------------------------------------------------------
// Branch refinement (the kernel's regs_refine_cond_op / reg_set_min_max).

export type CmpOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sgt' | 'sge' | 'slt' | 'sle' | 'set' | 'notset';

export const NEGATE: Readonly<Record<CmpOp, CmpOp>> = {
  eq: 'ne', ne: 'eq', gt: 'le', ge: 'lt', lt: 'ge', le: 'gt',
  sgt: 'sle', sge: 'slt', slt: 'sge', sle: 'sgt', set: 'notset', notset: 'set',
};
/** a OP b ⇔ b SWAP(OP) a */
export const SWAP: Readonly<Record<CmpOp, CmpOp>> = {
  eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge',
  sgt: 'slt', sge: 'sle', slt: 'sgt', sle: 'sge', set: 'set', notset: 'notset',
};

const view = (s: Scalar, w: Width): Range => (w === 64 ? s.r64 : s.r32);
const withView = (s: Scalar, w: Width, r: Range): Scalar => (w === 64 ? { ...s, r64: r } : { ...s, r32: r });
const viewTnum = (s: Scalar, w: Width): Tnum => (w === 64 ? s.var : tnumSubreg(s.var));
const withViewTnum = (s: Scalar, w: Width, t: Tnum): Scalar => ({ ...s, var: w === 64 ? t : tnumWithSubreg(s.var, t) });

/**
 * Assume `a OP b` holds at `width`; returns the refined pair, or null when it cannot hold (the branch
 * is dead — the kernel's is_branch_taken plus the contradiction check after refinement).
 */
export function refineCmp(op: CmpOp, a0: Scalar, b0: Scalar, w: Width): [Scalar, Scalar] | null {
  // Two known values: the comparison is decided, and refining changes neither.
  if (a0.var.mask === 0n && b0.var.mask === 0n) {
    const a = boundsSync(a0);
    const b = boundsSync(b0);
    if (isBottom(a) || isBottom(b)) return null;
    return constCmp(op, a0.var.value, b0.var.value, w) ? [a, b] : null;
  }
  let a = a0;
  let b = b0;
  const ra = view(a, w);
  const rb = view(b, w);
  switch (op) {
    case 'eq': {
      if (tnumDisjoint(viewTnum(a, w), viewTnum(b, w))) return null;
      const r: Range = { umin: max(ra.umin, rb.umin), umax: min(ra.umax, rb.umax), smin: max(ra.smin, rb.smin), smax: min(ra.smax, rb.smax) };
      const t = tnumIntersect(viewTnum(a, w), viewTnum(b, w));
      a = withViewTnum(withView(a, w, r), w, t);
      b = withViewTnum(withView(b, w, r), w, t);
      break;
    }
    case 'ne': {
      const ta = viewTnum(a, w);
      const tb = viewTnum(b, w);
      if (tnumIsConst(ta) && tnumIsConst(tb) && ta.value === tb.value) return null;
      const excl = (x: Scalar, rx: Range, c: bigint): Scalar => {
        let r = rx;
        if (r.umin === c) r = { ...r, umin: r.umin + 1n };
        if (r.umax === c) r = { ...r, umax: r.umax - 1n };
        const sc = asS(w, c);
        if (r.smin === sc) r = { ...r, smin: r.smin + 1n };
        if (r.smax === sc) r = { ...r, smax: r.smax - 1n };
        return withView(x, w, r);
      };
      if (tnumIsConst(tb)) a = excl(a, ra, tb.value);
      else if (tnumIsConst(ta)) b = excl(b, rb, ta.value);
      break;
    }
    case 'ge':
      a = withView(a, w, { ...ra, umin: max(ra.umin, rb.umin) });
      b = withView(b, w, { ...rb, umax: min(rb.umax, ra.umax) });
      break;
    case 'gt':
      a = withView(a, w, { ...ra, umin: max(ra.umin, rb.umin + 1n) });
      b = withView(b, w, { ...rb, umax: min(rb.umax, ra.umax - 1n) });
      break;
    case 'sge':
      a = withView(a, w, { ...ra, smin: max(ra.smin, rb.smin) });
      b = withView(b, w, { ...rb, smax: min(rb.smax, ra.smax) });
      break;
    case 'sgt':
      a = withView(a, w, { ...ra, smin: max(ra.smin, rb.smin + 1n) });
      b = withView(b, w, { ...rb, smax: min(rb.smax, ra.smax - 1n) });
      break;
    case 'le': case 'lt': case 'sle': case 'slt': {
      const r = refineCmp(SWAP[op], b, a, w);
      return r === null ? null : [r[1], r[0]];
    }
    case 'set': {
      const ta = viewTnum(a, w);
      const tb = viewTnum(b, w);
      // Some bit that may be set in both must exist.
      if (((ta.value | ta.mask) & (tb.value | tb.mask)) === 0n) return null;
      if (tnumIsConst(tb) && tb.value !== 0n && (tb.value & (tb.value - 1n)) === 0n) a = withViewTnum(a, w, tnumOr(ta, tb));
      break;
    }
    case 'notset': {
      const ta = viewTnum(a, w);
      const tb = viewTnum(b, w);
      if ((ta.value & tb.value) !== 0n) return null;
      if (tnumIsConst(tb)) a = withViewTnum(a, w, tnumAnd(ta, { value: ~tb.value & umaxOf(w), mask: 0n }));
      break;
    }
  }
  const sa = boundsSync(a);
  const sb = boundsSync(b);
  if (isBottom(sa) || isBottom(sb)) return null;
  return [sa, sb];
}

/** `x OP y` on concrete values at width `w`. */
function constCmp(op: CmpOp, x0: bigint, y0: bigint, w: Width): boolean {
  const m = w === 64 ? U64 : U32;
  const x = x0 & m;
  const y = y0 & m;
  switch (op) {
    case 'eq': return x === y;
    case 'ne': return x !== y;
    case 'gt': return x > y;
    case 'ge': return x >= y;
    case 'lt': return x < y;
    case 'le': return x <= y;
    case 'sgt': return asS(w, x) > asS(w, y);
    case 'sge': return asS(w, x) >= asS(w, y);
    case 'slt': return asS(w, x) < asS(w, y);
    case 'sle': return asS(w, x) <= asS(w, y);
    case 'set': return (x & y) !== 0n;
    case 'notset': return (x & y) === 0n;
  }
}

/** b ⊆ a (range_within + tnum_in): used by state pruning. */
export function scalarWithin(a: Scalar, b: Scalar): boolean {
  const rw = (x: Range, y: Range): boolean => x.umin <= y.umin && x.umax >= y.umax && x.smin <= y.smin && x.smax >= y.smax;
  return rw(a.r64, b.r64) && rw(a.r32, b.r32) && tnumIn(a.var, b.var);
}

export const scalarEquals = (a: Scalar, b: Scalar): boolean => scalarWithin(a, b) && scalarWithin(b, a);

/**
 * Kernel log syntax: `scalar(smin=umin=0,smax=umax=3,var_off=(0x0; 0x3))` — bounds that say nothing are
 * omitted, bounds with the same value are printed once, joined by `=`.
 */
export function scalarString(s: Scalar): string {
  if (isConst(s)) return `${asS(64, s.var.value)}`;
  const bounds: Array<[string, bigint, bigint]> = [
    ['smin', s.r64.smin, FULL64.smin], ['smax', s.r64.smax, FULL64.smax], ['umin', s.r64.umin, 0n], ['umax', s.r64.umax, U64],
    ['smin32', s.r32.smin, FULL32.smin], ['smax32', s.r32.smax, FULL32.smax], ['umin32', s.r32.umin, 0n], ['umax32', s.r32.umax, U32],
  ];
  const groups = new Map<bigint, string[]>();
  for (const [name, v, trivial] of bounds) {
    if (v === trivial) continue;
    const g = groups.get(v);
    if (g) g.push(name); else groups.set(v, [name]);
  }
  const parts = [...groups].map(([v, names]) => `${names.join('=')}=${v}`);
  if (s.var.mask !== U64) parts.push(`var_off=${tnumString(s.var)}`);
  return `scalar(${parts.join(',')})`;
}
