/**
 * The DEVMAP_HASH lookup bpf_redirect_map does (__dev_map_hash_lookup_elem), in wasm over the hash layout of
 * src/vm/maps/hash.ts: the key is the u32 index passed by value, hashed as HashMap hashes its 4 little-endian
 * bytes (the same MurmurHash3 as key-hash.ts, jit/lower-map-hash.ts keyHashStatements), then the bucket chain
 * is walked with atomic loads of its links as HashMap.find does (entries are published by an atomic head
 * store). One function per map; its fields are constants since the map is known at compile time.
 */
import binaryen from 'binaryen';
import { MapType } from '../src/ebpf/object-spec.js';
import { MapHdr } from '../src/vm/maps/map-header.js';
import { Bucket, BUCKET_SIZE, HashEntry, HashHdr } from '../src/vm/maps/hash.js';
import type { Expr, LowerContext } from './lower-context.js';
import { keyHashStatements } from './lower-map-hash.js';

const i32 = binaryen.i32;

/** The header fields of a DEVMAP_HASH the lookup reads (fixed at map creation). */
interface DevmapHashLayout {
  readonly addr: number;
  readonly keySize: number;
  readonly seed: number;
  readonly nBuckets: number;
  readonly buckets: number;
  readonly valueOff: number;
}

/** The layout of the DEVMAP_HASH at `addr` (4-byte keys: HashMap.create refuses others), or undefined. */
export function readDevmapHashLayout(u32: Uint32Array, addr: number): DevmapHashLayout | undefined {
  if (addr % 4 !== 0) return undefined;
  const r = (off: number): number => u32[(addr + off) >>> 2]!;
  if (r(MapHdr.TYPE) !== MapType.DEVMAP_HASH || r(MapHdr.KEY_SIZE) !== 4) return undefined;
  return { addr, keySize: 4, seed: r(HashHdr.SEED), nBuckets: r(HashHdr.N_BUCKETS), buckets: r(HashHdr.BUCKETS), valueOff: r(HashHdr.VALUE_OFF) };
}

/** An i32 expression: the value address of key `index` (an i32 expression) in the map, or 0 (HashMap.lookup). */
export function devmapHashLookup(ctx: LowerContext, l: DevmapHashLayout, index: Expr): Expr {
  const { m } = ctx;
  const fn = `devmap_hash_lookup_${l.addr >>> 0}`;
  if (!ctx.module.hasFunction(fn)) {
    const KEY = 0, H = 1, K = 2, E = 3;
    const key = (): Expr => m.local.get(KEY, i32);
    const e = (): Expr => m.local.get(E, i32);
    const bucketHead = m.i32.add(
      m.i32.const((l.buckets + Bucket.HEAD) | 0),
      m.i32.mul(m.i32.and(m.local.get(H, i32), m.i32.const(l.nBuckets - 1)), m.i32.const(BUCKET_SIZE)),
    );
    const body: Expr[] = [
      ...keyHashStatements(m, l, key, H, K, () => key()),
      m.local.set(E, m.i32.atomic.load(0, bucketHead)),
      m.loop('chain', m.block(null, [
        m.if(m.i32.eqz(e()), m.return(m.i32.const(0))),
        m.if(m.i32.and(m.i32.eq(m.i32.load(HashEntry.HASH, 4, e()), m.local.get(H, i32)), m.i32.eq(m.i32.load(HashEntry.KEY, 1, e()), key())),
          m.return(m.i32.add(e(), m.i32.const(l.valueOff)))),
        m.local.set(E, m.i32.atomic.load(HashEntry.NEXT, e())),
        m.br('chain'),
      ])),
      m.unreachable(),
    ];
    ctx.module.addFunction(fn, [i32], i32, [i32, i32, i32], m.block(null, body, i32));
  }
  return m.call(fn, [index], i32);
}
