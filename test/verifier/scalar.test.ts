/**
 * Soundness of the scalar domain, checked on concrete members: for random abstract values and random
 * concrete members of them, every ALU result and every branch refinement must still contain the
 * concrete outcome (the over-approximation property the whole verifier rests on).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type CmpOp, type Scalar, type ScalarAluOp, type Width, NEGATE, boundsSync, isBottom, refineCmp, scalarAlu, scalarConst,
  scalarDivMod, scalarUnknown, signExtend, scalarBswap, zext32,
} from '../../src/verifier/domain/scalar.js';
import { tnumAdd, tnumConst, tnumIn, tnumMul, tnumRange, tnumSub } from '../../src/verifier/tnum.js';

const M64 = (1n << 64n) - 1n;
let seed = 0x12345678;
function rnd32(): number {
  seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
  return seed;
}
function rnd64(): bigint {
  const kind = rnd32() % 6;
  const raw = (BigInt(rnd32()) << 32n) | BigInt(rnd32());
  switch (kind) {
    case 0: return BigInt(rnd32() % 64);
    case 1: return BigInt(rnd32() % 70000);
    case 2: return BigInt(rnd32());
    case 3: return M64 - BigInt(rnd32() % 1000);
    default: return raw;
  }
}

function contains(s: Scalar, x: bigint): boolean {
  const u = BigInt.asUintN(64, x);
  const sx = BigInt.asIntN(64, x);
  const l = BigInt.asUintN(32, x);
  const sl = BigInt.asIntN(32, x);
  return u >= s.r64.umin && u <= s.r64.umax && sx >= s.r64.smin && sx <= s.r64.smax
    && l >= s.r32.umin && l <= s.r32.umax && sl >= s.r32.smin && sl <= s.r32.smax && tnumIn(s.var, tnumConst(u));
}

/** A random abstract value built the way programs build them (ranges from comparisons, masks, consts), with a member. */
function randomScalar(): [Scalar, bigint] {
  const x = rnd64();
  switch (rnd32() % 4) {
    case 0: return [scalarConst(x), x];
    case 1: {
      const lo = x - BigInt(rnd32() % 1000);
      const hi = x + BigInt(rnd32() % 100000);
      if (lo < 0n || hi > M64) return [scalarUnknown(), x];
      const r = refineCmp('ge', scalarUnknown(), scalarConst(lo), 64)!;
      const r2 = refineCmp('le', r[0], scalarConst(hi), 64)!;
      return [r2[0], x];
    }
    case 2: {
      const mask = BigInt(rnd32());
      return [boundsSync({ ...scalarUnknown(), var: { value: x & ~mask & M64, mask } }), x];
    }
    default: return [scalarUnknown(), x];
  }
}

const conc: Record<ScalarAluOp, (a: bigint, b: bigint, w: number) => bigint> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, and: (a, b) => a & b, or: (a, b) => a | b,
  xor: (a, b) => a ^ b, lsh: (a, b) => a << b, rsh: (a, b) => a >> b, arsh: (a, b, w) => BigInt.asIntN(w, a) >> b,
};

test('tnum add/sub/mul/range contain their concrete results', () => {
  for (let i = 0; i < 1500; i++) {
    const a = rnd64(); const b = rnd64(); const ma = BigInt(rnd32()); const mb = BigInt(rnd32() & 0xff);
    const ta = { value: a & ~ma & M64, mask: ma }; const tb = { value: b & ~mb & M64, mask: mb };
    const xa = (a & ~ma & M64) | (BigInt(rnd32()) & ma); const xb = (b & ~mb & M64) | (BigInt(rnd32()) & mb);
    assert.ok(tnumIn(tnumAdd(ta, tb), tnumConst((xa + xb) & M64)));
    assert.ok(tnumIn(tnumSub(ta, tb), tnumConst((xa - xb) & M64)));
    assert.ok(tnumIn(tnumMul(ta, tb), tnumConst((xa * xb) & M64)));
    const lo = a < b ? a : b; const hi = a < b ? b : a;
    assert.ok(tnumIn(tnumRange(lo, hi), tnumConst(lo)) && tnumIn(tnumRange(lo, hi), tnumConst(hi)));
  }
});

test('ALU64 and ALU32 results contain the concrete result', () => {
  const ops: ScalarAluOp[] = ['add', 'sub', 'mul', 'and', 'or', 'xor', 'lsh', 'rsh', 'arsh'];
  for (let i = 0; i < 2500; i++) {
    const [a, x] = randomScalar();
    const shift = ops[i % ops.length]!.endsWith('sh');
    const [b, y] = shift ? ((v: bigint): [Scalar, bigint] => [scalarConst(v), v])(BigInt(rnd32() % 32)) : randomScalar();
    const op = ops[i % ops.length]!;
    for (const w of [64, 32] as Width[]) {
      const xs = BigInt.asUintN(w, x); const ys = BigInt.asUintN(w, y);
      const r = BigInt.asUintN(w, conc[op](xs, ys, w));
      const abs = scalarAlu(op, a, b, w);
      assert.ok(contains(abs, r), `${op}${w} ${x} ${y} → ${r} not in result`);
    }
  }
});

test('division, sign extension and byte swaps contain the concrete result', () => {
  for (let i = 0; i < 1000; i++) {
    const [a, x] = randomScalar();
    const [b, y] = randomScalar();
    const yy = y === 0n ? 0n : y;
    const q = yy === 0n ? 0n : x / yy;
    assert.ok(contains(scalarDivMod(a, b, 64, false, false), q));
    assert.ok(contains(scalarDivMod(a, b, 64, true, false), yy === 0n ? x : x % yy));
    for (const bytes of [1, 2, 4]) {
      const v = BigInt.asUintN(64, BigInt.asIntN(bytes * 8, x));
      assert.ok(contains(signExtend(a, bytes), v), `sext${bytes} ${x}`);
    }
    assert.ok(contains(zext32(a), BigInt.asUintN(32, x)));
    assert.ok(contains(scalarBswap(a, 16, false), x & 0xffffn));
  }
});

test('branch refinement keeps every concrete pair that satisfies the condition', () => {
  const cmps: CmpOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'sgt', 'sge', 'slt', 'sle', 'set', 'notset'];
  const holds = (op: CmpOp, x: bigint, y: bigint, w: Width): boolean => {
    const ux = BigInt.asUintN(w, x); const uy = BigInt.asUintN(w, y);
    const sx = BigInt.asIntN(w, x); const sy = BigInt.asIntN(w, y);
    switch (op) {
      case 'eq': return ux === uy; case 'ne': return ux !== uy;
      case 'gt': return ux > uy; case 'ge': return ux >= uy; case 'lt': return ux < uy; case 'le': return ux <= uy;
      case 'sgt': return sx > sy; case 'sge': return sx >= sy; case 'slt': return sx < sy; case 'sle': return sx <= sy;
      case 'set': return (ux & uy) !== 0n; case 'notset': return (ux & uy) === 0n;
    }
  };
  for (let i = 0; i < 3000; i++) {
    const [a, x] = randomScalar();
    const [b, y0] = i % 3 === 0 ? [a, x] : randomScalar();
    const y = y0;
    const op = cmps[i % cmps.length]!;
    for (const w of [64, 32] as Width[]) {
      const side = holds(op, x, y, w) ? op : NEGATE[op];
      const r = refineCmp(side, a, b, w);
      assert.ok(r !== null, `${side}/${w}: ${x} ${y} declared impossible`);
      assert.ok(contains(r[0], x) && contains(r[1], y), `${side}/${w}: ${x} ${y} lost`);
      assert.ok(!isBottom(r[0]));
    }
  }
});
