/**
 * bpf_map_push_elem (87) and bpf_map_peek_elem (89) on a BLOOM_FILTER, as wasm functions per map over the
 * layout of src/vm/maps/bloom-filter.ts, computing what BloomFilterMap.push / peek compute: bit i of the value
 * is jhash(value, value_size, seed + i) & bitset_mask for i < nr_hash_funcs (jhash.ts, the kernel's lookup3,
 * unrolled here for the map's value size with the per-function initval a constant); push sets each bit with
 * an atomic OR on its u32 word (flags other than BPF_ANY → -EINVAL, checked at the call site), peek reads
 * each word atomically and answers -ENOENT at the first clear bit, else 0.
 */
import binaryen from 'binaryen';
import { Errno } from '../src/vm/maps/errno.js';
import type { Expr } from './lower-context.js';
import type { IrBuilder } from './ir-builder.js';
import type { BloomLayout } from './map-layout.js';

const i32 = binaryen.i32;
const JHASH_INITVAL = 0xdeadbeef;
/** Values above this size keep the trampoline rather than unroll nr_hash_funcs long hashes. */
export const MAX_BLOOM_VALUE = 64;

const VALUE = 0;
const A = 1;
const B = 2;
const C = 3;
const BIT = 4;

/** Statements leaving jhash(value, value_size, initval) in local C (jhash.ts). */
function jhashStatements(m: IrBuilder, length: number, initval: number): Expr[] {
  const get = (l: number): Expr => m.local.get(l, i32);
  const set = (l: number, v: Expr): Expr => m.local.set(l, v);
  const rol = (l: number, s: number): Expr => m.i32.rotl(get(l), m.i32.const(s));
  /** x -= y; x ^= rol(y, s); y += z — one line of __jhash_mix. */
  const mixStep = (x: number, y: number, z: number, s: number): Expr[] => [
    set(x, m.i32.sub(get(x), get(y))), set(x, m.i32.xor(get(x), rol(y, s))), set(y, m.i32.add(get(y), get(z))),
  ];
  /** x ^= y; x -= rol(y, s) — one line of __jhash_final. */
  const finalStep = (x: number, y: number, s: number): Expr[] => [set(x, m.i32.xor(get(x), get(y))), set(x, m.i32.sub(get(x), rol(y, s)))];
  const word = (off: number, bytes: number): Expr => {
    if (bytes === 4) return m.i32.load(off, 1, get(VALUE));
    let w: Expr = m.i32.load8_u(off, 1, get(VALUE));
    for (let b = 1; b < bytes; b++) w = m.i32.or(w, m.i32.shl(m.i32.load8_u(off + b, 1, get(VALUE)), m.i32.const(8 * b)));
    return w;
  };
  const init = (JHASH_INITVAL + length + initval) | 0;
  const out: Expr[] = [set(A, m.i32.const(init)), set(B, m.i32.const(init)), set(C, m.i32.const(init))];
  let p = 0;
  let len = length;
  for (; len > 12; len -= 12, p += 12) {
    out.push(set(A, m.i32.add(get(A), word(p, 4))), set(B, m.i32.add(get(B), word(p + 4, 4))), set(C, m.i32.add(get(C), word(p + 8, 4))));
    out.push(...mixStep(A, C, B, 4), ...mixStep(B, A, C, 6), ...mixStep(C, B, A, 8));
    out.push(...mixStep(A, C, B, 16), ...mixStep(B, A, C, 19), ...mixStep(C, B, A, 4));
  }
  // The tail (1..12 bytes, value_size > 0): little-endian words added into a, b, c.
  [A, B, C].forEach((reg, j) => {
    const bytes = Math.min(4, len - 4 * j);
    if (bytes > 0) out.push(set(reg, m.i32.add(get(reg), word(p + 4 * j, bytes))));
  });
  out.push(...finalStep(C, B, 14), ...finalStep(A, C, 11), ...finalStep(B, A, 25), ...finalStep(C, B, 16));
  out.push(...finalStep(A, C, 4), ...finalStep(B, A, 14), ...finalStep(C, B, 24));
  return out;
}

/** Name, parameters, scratch locals and body of `(value: i32) → i32` pushing (0) or peeking (0 / -ENOENT). */
export function bloomFunction(m: IrBuilder, l: BloomLayout, push: boolean): { name: string; params: number[]; vars: number[]; body: Expr } {
  const body: Expr[] = [];
  for (let i = 0; i < l.nHashes; i++) {
    body.push(...jhashStatements(m, l.valueSize, (l.seed + i) >>> 0));
    body.push(m.local.set(BIT, m.i32.and(m.local.get(C, i32), m.i32.const(l.mask | 0))));
    const word = m.i32.add(m.i32.const(l.data | 0), m.i32.shl(m.i32.shr_u(m.local.get(BIT, i32), m.i32.const(5)), m.i32.const(2)));
    const bit = m.i32.shl(m.i32.const(1), m.local.get(BIT, i32));
    body.push(push
      ? m.drop(m.i32.atomic.rmw.or(0, word, bit))
      : m.if(m.i32.eqz(m.i32.and(m.i32.atomic.load(0, word), bit)), m.return(m.i32.const(-Errno.ENOENT))));
  }
  body.push(m.i32.const(0));
  return { name: `bloom_${push ? 'push' : 'peek'}_${l.addr >>> 0}`, params: [i32], vars: [i32, i32, i32, i32], body: m.block(null, body, i32) };
}
