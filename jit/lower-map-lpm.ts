/**
 * bpf_map_lookup_elem on an LPM_TRIE known at compile time: a wasm function per map that walks the index of
 * src/vm/maps/lpm-trie.ts exactly as LpmTrieMap.match does — the prefix lengths present from min(key
 * prefixlen, data bits) down (the `below` table's words read atomically), for each the bucket of lpmPrefixHash(key data, length)
 * (src/vm/maps/lpm-prefix-hash.ts, computed here in wasm), the chain's heads, links and `used` words read
 * atomically, and the first entry of that length whose first length bits equal the key's (kernel
 * longest_prefix_match) — returning that entry's value address, or NULL. The cost is O(distinct prefix
 * lengths), not O(entries).
 * Prefix bits are handled a 32-bit word at a time, byte-swapped so that the first bit in network order is the
 * most significant: for the hash the key's word is masked to the bits inside the prefix, for the match the
 * entry's and key's words are XORed and shifted right past the bits beyond the prefix. Words are unrolled up
 * to MAX_UNROLLED_WORDS, past that a loop over the whole words; bytes past a multiple of 4 are loaded one by
 * one, so no load reads past the key. The bucket table's address and mask come from the map header (written
 * once at creation).
 */
import binaryen from 'binaryen';
import { LpmEntry, LpmHdr } from '../src/vm/maps/lpm-trie.js';
import { LPM_HASH_MUL, LPM_HASH_ROT, LPM_HASH_SEED } from '../src/vm/maps/lpm-prefix-hash.js';
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

const Local = { KEY: 0, LEN: 1, E: 2, H: 3, R: 4, X: 5, J: 6, COUNT: 7 } as const;

function lpmLookupBody(m: IrBuilder, l: LpmLayout): Expr {
  const get = (local: number): Expr => m.local.get(local, i32);
  const header = (off: number): Expr => m.i32.load(0, 4, m.i32.const((l.addr + off) | 0));
  const dataBits = l.dataSize * 8;
  /** below[len]: the longest prefix length present at or below len, or -1. */
  const presentBelow = (len: Expr): Expr => m.i32.atomic.load(0, m.i32.add(header(LpmHdr.BELOW), m.i32.shl(len, m.i32.const(2))));
  return m.block(null, [
    m.local.set(Local.LEN, m.i32.load(0, 1, get(Local.KEY))),
    m.local.set(Local.LEN, presentBelow(m.select(m.i32.gt_u(get(Local.LEN), m.i32.const(dataBits)), m.i32.const(dataBits), get(Local.LEN)))),
    m.block('miss', [m.loop('length', m.block(null, [
      m.br('miss', m.i32.lt_s(get(Local.LEN), m.i32.const(0))),
      prefixHash(m, l.dataSize),
      m.local.set(Local.E, m.i32.atomic.load(0, m.i32.add(header(LpmHdr.BUCKETS),
        m.i32.shl(m.i32.and(get(Local.H), header(LpmHdr.BUCKET_MASK)), m.i32.const(2))))),
      m.block('chain_end', [m.loop('chain', m.block(null, [
        m.br('chain_end', m.i32.eqz(get(Local.E))),
        m.if(m.i32.and(m.i32.eq(m.i32.atomic.load(LpmEntry.USED, get(Local.E)), m.i32.const(1)),
          m.i32.eq(m.i32.load(LpmEntry.PREFIXLEN, 4, get(Local.E)), get(Local.LEN))),
        prefixMatch(m, l.dataSize, [m.return(m.i32.add(get(Local.E), m.i32.const(l.valueOff)))])),
        m.local.set(Local.E, m.i32.atomic.load(LpmEntry.NEXT, get(Local.E))),
        m.br('chain'),
      ]))]),
      m.br('miss', m.i32.eqz(get(Local.LEN))),
      m.local.set(Local.LEN, presentBelow(m.i32.sub(get(Local.LEN), m.i32.const(1)))),
      m.br('length'),
    ]))]),
    m.i32.const(0),
  ], i32);
}

/** Loads the raw (little-endian) word of the data field at `fieldOff` from the address in local `ptr`. */
type WordLoad = (ptr: number, fieldOff: number) => Expr;

/**
 * The steps `step` builds for each data word in turn, while R (bits still to handle) is not 0: unrolled up to
 * MAX_UNROLLED_WORDS whole words, else a loop over them (labels `<label>_words` / `<label>_word`), then the
 * tail bytes assembled into one word. `step` must leave to `exit` when R is 0 and count R down by 32.
 */
function overWords(m: IrBuilder, dataSize: number, label: string, step: (load: WordLoad) => Expr[]): Expr[] {
  const get = (local: number): Expr => m.local.get(local, i32);
  const fullWords = dataSize >>> 2;
  const tailBytes = dataSize & 3;
  const steps: Expr[] = [];
  if (fullWords <= MAX_UNROLLED_WORDS) {
    for (let w = 0; w < fullWords; w++) steps.push(...step((ptr, off) => m.i32.load(off + 4 * w, 1, get(ptr))));
  } else {
    steps.push(m.local.set(Local.J, m.i32.const(0)), m.block(`${label}_words`, [m.loop(`${label}_word`, m.block(null, [
      m.br(`${label}_words`, m.i32.eq(get(Local.J), m.i32.const(fullWords * 4))),
      ...step((ptr, off) => m.i32.load(off, 1, m.i32.add(get(ptr), get(Local.J)))),
      m.local.set(Local.J, m.i32.add(get(Local.J), m.i32.const(4))),
      m.br(`${label}_word`),
    ]))]));
  }
  if (tailBytes !== 0) {
    const base = fullWords * 4;
    steps.push(...step((ptr, off) => {
      let v: Expr = m.i32.load8_u(off + base, 1, get(ptr));
      for (let b = 1; b < tailBytes; b++) v = m.i32.or(v, m.i32.shl(m.i32.load8_u(off + base + b, 1, get(ptr)), m.i32.const(8 * b)));
      return v;
    }));
  }
  return steps;
}

/** R -= 32, floored at 0. */
function countDown(m: IrBuilder): Expr {
  const r = (): Expr => m.local.get(Local.R, i32);
  return m.local.set(Local.R, m.select(m.i32.gt_u(r(), m.i32.const(32)), m.i32.sub(r(), m.i32.const(32)), m.i32.const(0)));
}

/** H = lpmPrefixHash(key data, LEN) (src/vm/maps/lpm-prefix-hash.ts). */
function prefixHash(m: IrBuilder, dataSize: number): Expr {
  const get = (local: number): Expr => m.local.get(local, i32);
  return m.block(null, [m.block('hashed', [
    m.local.set(Local.H, m.i32.mul(get(Local.LEN), m.i32.const(LPM_HASH_SEED | 0))),
    m.local.set(Local.R, get(Local.LEN)),
    ...overWords(m, dataSize, 'hash', (load) => [
      m.br('hashed', m.i32.eqz(get(Local.R))),
      m.local.set(Local.X, bswap32(m, load(Local.KEY, KEY_DATA))),
      // Only the bits inside the prefix (R < 32 on its last word).
      m.local.set(Local.X, m.select(m.i32.lt_u(get(Local.R), m.i32.const(32)),
        m.i32.and(get(Local.X), m.i32.shl(m.i32.const(-1), m.i32.sub(m.i32.const(32), get(Local.R)))), get(Local.X))),
      m.local.set(Local.H, m.i32.mul(m.i32.rotl(m.i32.xor(get(Local.H), get(Local.X)), m.i32.const(LPM_HASH_ROT)), m.i32.const(LPM_HASH_MUL | 0))),
      countDown(m),
    ])]),
    m.local.set(Local.H, m.i32.xor(get(Local.H), m.i32.shr_u(get(Local.H), m.i32.const(16)))),
  ]);
}

/** Runs `onMatch` when the first LEN bits of entry E's data equal the key's (LEN ≤ data bits). */
function prefixMatch(m: IrBuilder, dataSize: number, onMatch: Expr[]): Expr {
  const get = (local: number): Expr => m.local.get(local, i32);
  const steps = overWords(m, dataSize, 'match', (load) => [
    m.br('same', m.i32.eqz(get(Local.R))),
    m.local.set(Local.X, bswap32(m, m.i32.xor(load(Local.E, LpmEntry.DATA), load(Local.KEY, KEY_DATA)))),
    m.br('differ', m.i32.ne(m.select(m.i32.lt_u(get(Local.R), m.i32.const(32)),
      m.i32.shr_u(get(Local.X), m.i32.sub(m.i32.const(32), get(Local.R))), get(Local.X)), m.i32.const(0))),
    countDown(m),
  ]);
  return m.block('differ', [m.block('same', [m.local.set(Local.R, get(Local.LEN)), ...steps]), ...onMatch]);
}

/** bswap32 (wasm has none): the rotate-and-mask form of jit/byte-swap.ts, on the value in local X. */
function bswap32(m: IrBuilder, value: Expr): Expr {
  const x = (): Expr => m.local.get(Local.X, i32);
  return m.block(null, [
    m.local.set(Local.X, value),
    m.i32.or(m.i32.and(m.i32.rotl(x(), m.i32.const(8)), m.i32.const(0x00ff00ff)), m.i32.and(m.i32.rotr(x(), m.i32.const(8)), m.i32.const(0xff00ff00 | 0))),
  ], i32);
}
