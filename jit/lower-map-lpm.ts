/**
 * bpf_map_lookup_elem on an LPM_TRIE known at compile time: a wasm function per map scanning the slot table
 * of src/vm/maps/lpm-trie.ts exactly as LpmTrieMap.match does — slots below the atomically read high-water
 * mark, each slot's `used` word read atomically, the longest stored prefixlen ≤ min(key prefixlen, data
 * bits) whose first prefixlen bits equal the key's (kernel longest_prefix_match) — and returning that
 * entry's value address, or NULL.
 * Prefix bits are compared a 32-bit word at a time: the word of entry and key data XORed, byte-swapped so
 * that the first bit in network order is the most significant, and shifted right past the bits beyond the
 * prefix. Words are unrolled up to MAX_UNROLLED_WORDS, past that a loop over the whole words; bytes past a
 * multiple of 4 are loaded one by one, so no load reads past the key.
 */
import binaryen from 'binaryen';
import { LpmEntry, LpmHdr } from '../src/vm/maps/lpm-trie.js';
import type { Expr, LowerContext } from './lower-context.js';
import type { IrBuilder } from './ir-builder.js';
import type { LpmLayout } from './map-layout.js';

const i32 = binaryen.i32;
/** The key's data starts after its u32 prefixlen (struct bpf_lpm_trie_key). */
const KEY_DATA = 4;
const MAX_UNROLLED_WORDS = 8;

/** r0 = the value address of the longest prefix matching r2's key in the LPM trie `l`, or NULL. */
export function lpmLookup(ctx: LowerContext, l: LpmLayout): Expr {
  const { m } = ctx;
  const fn = `lpm_lookup_${l.addr >>> 0}`;
  if (!ctx.module.hasFunction(fn)) ctx.module.addFunction(fn, [i32], i32, new Array<number>(Local.COUNT - 1).fill(i32), lpmLookupBody(m, l));
  return m.i64.extend_u(m.call(fn, [m.i32.wrap(ctx.get(2))], i32));
}

const Local = { KEY: 0, LIMIT: 1, END: 2, E: 3, BEST: 4, BEST_LEN: 5, LEN: 6, R: 7, X: 8, J: 9, COUNT: 10 } as const;

function lpmLookupBody(m: IrBuilder, l: LpmLayout): Expr {
  const get = (local: number): Expr => m.local.get(local, i32);
  const dataBits = l.dataSize * 8;
  return m.block(null, [
    m.local.set(Local.LIMIT, m.i32.load(0, 1, get(Local.KEY))),
    m.local.set(Local.LIMIT, m.select(m.i32.gt_u(get(Local.LIMIT), m.i32.const(dataBits)), m.i32.const(dataBits), get(Local.LIMIT))),
    m.local.set(Local.END, m.i32.add(m.i32.const(l.data | 0),
      m.i32.mul(m.i32.atomic.load(0, m.i32.const((l.addr + LpmHdr.HIGH) | 0)), m.i32.const(l.entrySize)))),
    m.local.set(Local.E, m.i32.const(l.data | 0)),
    m.local.set(Local.BEST, m.i32.const(0)),
    m.local.set(Local.BEST_LEN, m.i32.const(-1)),
    m.block('done', [m.loop('scan', m.block(null, [
      m.br('done', m.i32.ge_u(get(Local.E), get(Local.END))),
      m.if(m.i32.eq(m.i32.atomic.load(LpmEntry.USED, get(Local.E)), m.i32.const(1)), m.block(null, [
        m.local.set(Local.LEN, m.i32.load(LpmEntry.PREFIXLEN, 4, get(Local.E))),
        // len ≤ limit ≤ 2,048, so the signed comparison with best_len = -1 is exact.
        m.if(m.i32.and(m.i32.le_u(get(Local.LEN), get(Local.LIMIT)), m.i32.gt_s(get(Local.LEN), get(Local.BEST_LEN))),
          prefixMatch(m, l.dataSize, [m.local.set(Local.BEST, get(Local.E)), m.local.set(Local.BEST_LEN, get(Local.LEN))])),
      ])),
      m.local.set(Local.E, m.i32.add(get(Local.E), m.i32.const(l.entrySize))),
      m.br('scan'),
    ]))]),
    m.select(get(Local.BEST), m.i32.add(get(Local.BEST), m.i32.const(l.valueOff)), m.i32.const(0)),
  ], i32);
}

/**
 * Runs `onMatch` when the first LEN bits of entry E's data equal the key's (R counts the bits still to
 * compare; LEN ≤ data bits, so R reaches 0 by the last word).
 */
function prefixMatch(m: IrBuilder, dataSize: number, onMatch: Expr[]): Expr {
  const get = (local: number): Expr => m.local.get(local, i32);
  const fullWords = dataSize >>> 2;
  const tailBytes = dataSize & 3;
  /** Compare one word (entry and key words given as i32 expressions): mismatch → br $differ, else R -= 32. */
  const word = (entryWord: Expr, keyWord: Expr): Expr[] => [
    m.br('same', m.i32.eqz(get(Local.R))),
    m.local.set(Local.X, bswap32(m, m.i32.xor(entryWord, keyWord))),
    m.br('differ', m.i32.ne(m.select(m.i32.lt_u(get(Local.R), m.i32.const(32)),
      m.i32.shr_u(get(Local.X), m.i32.sub(m.i32.const(32), get(Local.R))), get(Local.X)), m.i32.const(0))),
    m.local.set(Local.R, m.select(m.i32.gt_u(get(Local.R), m.i32.const(32)), m.i32.sub(get(Local.R), m.i32.const(32)), m.i32.const(0))),
  ];
  const steps: Expr[] = [m.local.set(Local.R, get(Local.LEN))];
  if (fullWords <= MAX_UNROLLED_WORDS) {
    for (let w = 0; w < fullWords; w++) {
      steps.push(...word(m.i32.load(LpmEntry.DATA + 4 * w, 1, get(Local.E)), m.i32.load(KEY_DATA + 4 * w, 1, get(Local.KEY))));
    }
  } else {
    steps.push(m.local.set(Local.J, m.i32.const(0)), m.block('words', [m.loop('word', m.block(null, [
      m.br('words', m.i32.eq(get(Local.J), m.i32.const(fullWords * 4))),
      ...word(m.i32.load(LpmEntry.DATA, 1, m.i32.add(get(Local.E), get(Local.J))), m.i32.load(KEY_DATA, 1, m.i32.add(get(Local.KEY), get(Local.J)))),
      m.local.set(Local.J, m.i32.add(get(Local.J), m.i32.const(4))),
      m.br('word'),
    ]))]));
  }
  if (tailBytes !== 0) {
    const base = fullWords * 4;
    const bytes = (off: number, ptr: () => Expr): Expr => {
      let v: Expr = m.i32.load8_u(off + base, 1, ptr());
      for (let b = 1; b < tailBytes; b++) v = m.i32.or(v, m.i32.shl(m.i32.load8_u(off + base + b, 1, ptr()), m.i32.const(8 * b)));
      return v;
    };
    steps.push(...word(bytes(LpmEntry.DATA, () => get(Local.E)), bytes(KEY_DATA, () => get(Local.KEY))));
  }
  return m.block('differ', [m.block('same', steps), ...onMatch]);
}

/** bswap32 (wasm has none): the rotate-and-mask form of jit/byte-swap.ts, on the value in local X. */
function bswap32(m: IrBuilder, value: Expr): Expr {
  const x = (): Expr => m.local.get(Local.X, i32);
  return m.block(null, [
    m.local.set(Local.X, value),
    m.i32.or(m.i32.and(m.i32.rotl(x(), m.i32.const(8)), m.i32.const(0x00ff00ff)), m.i32.and(m.i32.rotr(x(), m.i32.const(8)), m.i32.const(0xff00ff00 | 0))),
  ], i32);
}
