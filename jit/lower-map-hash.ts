/**
 * The hash-map family (HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH) in wasm, one function per map over the
 * layout of src/vm/maps/hash.ts, doing what HashMap does step for step with the same atomics discipline, so
 * that wasm and TS writers can share one arena across CPUs:
 *  - the key hash (MurmurHash3 x86_32, key-hash.ts) and key comparison;
 *  - lookup (in jit/inline-helpers.ts: the chain walk, and the LRU reference bit);
 *  - update (HashMap.update → upsert): flags above BPF_EXIST → -EINVAL (the maps lowered here have no
 *    bpf_spin_lock, so BPF_F_LOCK is -EINVAL too); an LRU map with an empty free list evicts first (second
 *    chance from the LRU tail, bucket locks only tried); then under the bucket lock (compare-exchange spin):
 *    an existing entry → -EEXIST with BPF_NOEXIST, else its value (this CPU's slot for per-CPU maps) is
 *    overwritten; a missing one → -ENOENT with BPF_EXIST, else an entry from the free list (its own lock;
 *    none → -E2BIG) gets hash, key and value (a new per-CPU entry's other slots zeroed), is linked at the
 *    bucket head with atomic stores (next first, then head), the count is raised and, for LRU maps, it is
 *    pushed at the LRU head under the LRU lock;
 *  - delete (HashMap.delete): under the bucket lock, the entry is unlinked (atomic store of its link), taken
 *    off the LRU list under the LRU lock, returned to the free list and the count lowered; missing → -ENOENT.
 * Atomics.store / Atomics.sub are an exchange whose result is dropped / an atomic add of -1 (the IR has no
 * atomic store; both are sequentially consistent as Atomics.store is); plain u32 writes stay plain stores.
 */
import binaryen from 'binaryen';
import { MapHdr } from '../src/vm/maps/map-header.js';
import { Bucket, BUCKET_SIZE, HashEntry, HashHdr, LruNode } from '../src/vm/maps/hash.js';
import { Errno } from '../src/vm/maps/errno.js';
import { Names } from './function-builder.js';
import type { Expr } from './lower-context.js';
import type { IrBuilder } from './ir-builder.js';
import type { HashLayout } from './map-layout.js';
import { copyBytes, zeroBytes } from './lower-map-copy.js';

const i32 = binaryen.i32;
const i64 = binaryen.i64;
const C1 = 0xcc9e2d51 | 0;
const C2 = 0x1b873593 | 0;
const BPF_NOEXIST = 1n;
const BPF_EXIST = 2n;

/**
 * Statements leaving keyHash(key, 0, key_size, seed) (key-hash.ts) in local `h`; `k` is i32 scratch. `word(w)`
 * gives the key's w-th little-endian u32 (default: loaded from the key's address; a key passed by value, as
 * bpf_redirect_map's u32 index, gives it directly).
 */
export function keyHashStatements(m: IrBuilder, l: Pick<HashLayout, 'keySize' | 'seed'>, key: () => Expr, h: number, k: number,
  word: (w: number) => Expr = (w) => m.i32.load(w * 4, 1, key())): Expr[] {
  const hv = (): Expr => m.local.get(h, i32);
  const kv = (): Expr => m.local.get(k, i32);
  const mixK = (): Expr[] => [
    m.local.set(k, m.i32.mul(kv(), m.i32.const(C1))),
    m.local.set(k, m.i32.rotl(kv(), m.i32.const(15))),
    m.local.set(k, m.i32.mul(kv(), m.i32.const(C2))),
    m.local.set(h, m.i32.xor(hv(), kv())),
  ];
  const body: Expr[] = [m.local.set(h, m.i32.const(l.seed | 0))];
  const words = l.keySize >>> 2;
  for (let w = 0; w < words; w++) {
    body.push(m.local.set(k, word(w)), ...mixK());
    body.push(m.local.set(h, m.i32.rotl(hv(), m.i32.const(13))));
    body.push(m.local.set(h, m.i32.add(m.i32.mul(hv(), m.i32.const(5)), m.i32.const(0xe6546b64 | 0))));
  }
  const rem = l.keySize & 3;
  if (rem !== 0) {
    const base = words * 4;
    let tail: Expr = m.i32.load8_u(base, 1, key());
    if (rem >= 2) tail = m.i32.xor(tail, m.i32.shl(m.i32.load8_u(base + 1, 1, key()), m.i32.const(8)));
    if (rem === 3) tail = m.i32.xor(tail, m.i32.shl(m.i32.load8_u(base + 2, 1, key()), m.i32.const(16)));
    body.push(m.local.set(k, tail), ...mixK());
  }
  body.push(
    m.local.set(h, m.i32.xor(hv(), m.i32.const(l.keySize))),
    m.local.set(h, m.i32.xor(hv(), m.i32.shr_u(hv(), m.i32.const(16)))),
    m.local.set(h, m.i32.mul(hv(), m.i32.const(0x85ebca6b | 0))),
    m.local.set(h, m.i32.xor(hv(), m.i32.shr_u(hv(), m.i32.const(13)))),
    m.local.set(h, m.i32.mul(hv(), m.i32.const(0xc2b2ae35 | 0))),
    m.local.set(h, m.i32.xor(hv(), m.i32.shr_u(hv(), m.i32.const(16)))),
  );
  return body;
}

/** Bytewise equality of the entry's key (at entry + 8) and the program's key, in 8/4/2/1-byte pieces. */
export function keyEquals(m: IrBuilder, size: number, entry: () => Expr, key: () => Expr): Expr {
  const parts: Expr[] = [];
  let off = 0;
  for (const [width, load] of [
    [8, (o: number, p: Expr) => m.i64.load(o, 1, p)],
    [4, (o: number, p: Expr) => m.i32.load(o, 1, p)],
    [2, (o: number, p: Expr) => m.i32.load16_u(o, 1, p)],
    [1, (o: number, p: Expr) => m.i32.load8_u(o, 1, p)],
  ] as const) {
    while (size - off >= width) {
      const a = load(HashEntry.KEY + off, entry());
      const b = load(off, key());
      parts.push(width === 8 ? m.i64.eq(a, b) : m.i32.eq(a, b));
      off += width;
    }
  }
  return parts.reduce((acc, p) => m.i32.and(acc, p));
}

/** Locals of the update / delete functions (after their parameters). */
interface Locals { readonly h: number; readonly k: number; readonly e: number; readonly bucket: number; readonly link: number;
  readonly prev: number; readonly tries: number; readonly t: number; readonly n: number; }

class HashOps {
  constructor(readonly m: IrBuilder, readonly l: HashLayout, readonly v: Locals) {}
  get(local: number): Expr { return this.m.local.get(local, i32); }
  set(local: number, value: Expr): Expr { return this.m.local.set(local, value); }
  c(n: number): Expr { return this.m.i32.const(n | 0); }
  hdr(off: number): Expr { return this.c(this.l.addr + off); }
  /** Atomics.store. */
  store(off: number, ptr: Expr, value: Expr): Expr { return this.m.drop(this.m.i32.atomic.rmw.xchg(off, ptr, value)); }
  /** Binaryen IR wants every label of a function distinct: one per spin loop. */
  private spins = 0;
  lock(ptr: () => Expr): Expr {
    const { m } = this;
    const label = `spin${this.spins++}`;
    return m.loop(label, m.br(label, m.i32.ne(m.i32.atomic.rmw.cmpxchg(0, ptr(), m.i32.const(0), m.i32.const(1)), m.i32.const(0))));
  }
  unlock(ptr: Expr): Expr { return this.store(0, ptr, this.c(0)); }
  node(field: number): number { return this.l.lruOff + field; }

  /** HashMap.linkHead(e) for the entry in local `e` (LRU lock held). */
  linkHead(e: number): Expr[] {
    const { m, v } = this;
    return [
      this.set(v.n, m.i32.load(0, 4, this.hdr(HashHdr.LRU_HEAD))),
      m.i32.store(this.node(LruNode.PREV), 4, this.get(e), this.c(0)),
      m.i32.store(this.node(LruNode.NEXT), 4, this.get(e), this.get(v.n)),
      m.i32.store(this.node(LruNode.REF), 4, this.get(e), this.c(0)),
      m.if(this.get(v.n),
        m.i32.store(this.node(LruNode.PREV), 4, this.get(v.n), this.get(e)),
        m.i32.store(0, 4, this.hdr(HashHdr.LRU_TAIL), this.get(e))),
      m.i32.store(0, 4, this.hdr(HashHdr.LRU_HEAD), this.get(e)),
    ];
  }

  /** HashMap.unlink(e) (LRU lock held); uses locals t and n. */
  unlink(e: number): Expr[] {
    const { m, v } = this;
    return [
      this.set(v.t, m.i32.load(this.node(LruNode.PREV), 4, this.get(e))),
      this.set(v.n, m.i32.load(this.node(LruNode.NEXT), 4, this.get(e))),
      m.if(this.get(v.t),
        m.i32.store(this.node(LruNode.NEXT), 4, this.get(v.t), this.get(v.n)),
        m.i32.store(0, 4, this.hdr(HashHdr.LRU_HEAD), this.get(v.n))),
      m.if(this.get(v.n),
        m.i32.store(this.node(LruNode.PREV), 4, this.get(v.n), this.get(v.t)),
        m.i32.store(0, 4, this.hdr(HashHdr.LRU_TAIL), this.get(v.t))),
    ];
  }

  lruLocked(body: Expr[]): Expr[] {
    return [this.lock(() => this.hdr(HashHdr.LRU_LOCK)), ...body, this.unlock(this.hdr(HashHdr.LRU_LOCK))];
  }

  /** HashMap.pushFree(e). */
  pushFree(e: number): Expr[] {
    const { m } = this;
    return [
      this.lock(() => this.hdr(HashHdr.FREE_LOCK)),
      m.i32.store(HashEntry.NEXT, 4, this.get(e), m.i32.load(0, 4, this.hdr(HashHdr.FREE_HEAD))),
      m.i32.store(0, 4, this.hdr(HashHdr.FREE_HEAD), this.get(e)),
      this.unlock(this.hdr(HashHdr.FREE_LOCK)),
    ];
  }

  /** Local `e` = HashMap.popFree(). */
  popFree(e: number): Expr[] {
    const { m } = this;
    return [
      this.lock(() => this.hdr(HashHdr.FREE_LOCK)),
      this.set(e, m.i32.load(0, 4, this.hdr(HashHdr.FREE_HEAD))),
      m.if(this.get(e), m.i32.store(0, 4, this.hdr(HashHdr.FREE_HEAD), m.i32.load(HashEntry.NEXT, 4, this.get(e)))),
      this.unlock(this.hdr(HashHdr.FREE_LOCK)),
    ];
  }

  countAdd(delta: number): Expr {
    return this.m.drop(this.m.i32.atomic.rmw.add(0, this.hdr(MapHdr.COUNT), this.c(delta)));
  }

  bucketOf(hash: Expr): Expr {
    return this.m.i32.add(this.c(this.l.buckets), this.m.i32.mul(this.m.i32.and(hash, this.c(this.l.nBuckets - 1)), this.c(BUCKET_SIZE)));
  }

  /** HashMap.evict(): second-chance eviction of one entry onto the free list. */
  evict(): Expr[] {
    const { m, v, l } = this;
    const maxTries = 2 * l.maxEntries + 2;
    return this.lruLocked([
      this.set(v.tries, this.c(0)),
      this.set(v.e, m.i32.load(0, 4, this.hdr(HashHdr.LRU_TAIL))),
      m.block('evicted', [m.loop('victim', m.block(null, [
        m.br('evicted', m.i32.or(m.i32.eqz(this.get(v.e)), m.i32.ge_u(this.get(v.tries), this.c(maxTries)))),
        this.set(v.tries, m.i32.add(this.get(v.tries), this.c(1))),
        this.set(v.prev, m.i32.load(this.node(LruNode.PREV), 4, this.get(v.e))),
        m.if(m.i32.eq(m.i32.atomic.rmw.xchg(this.node(LruNode.REF), this.get(v.e), this.c(0)), this.c(1)), m.block(null, [
          ...this.unlink(v.e),
          ...this.linkHead(v.e),
          this.set(v.e, m.select(this.get(v.prev), this.get(v.prev), m.i32.load(0, 4, this.hdr(HashHdr.LRU_TAIL)))),
          m.br('victim'),
        ])),
        this.set(v.bucket, this.bucketOf(m.i32.load(HashEntry.HASH, 4, this.get(v.e)))),
        m.if(m.i32.ne(m.i32.atomic.rmw.cmpxchg(Bucket.LOCK, this.get(v.bucket), this.c(0), this.c(1)), this.c(0)), m.block(null, [
          this.set(v.e, this.get(v.prev)),
          m.br('victim'),
        ])),
        // Find e's link in its chain (under the bucket lock just taken), unlink it, release the bucket.
        this.set(v.link, m.i32.add(this.get(v.bucket), this.c(Bucket.HEAD))),
        this.set(v.k, m.i32.load(0, 4, this.get(v.link))),
        m.block('found', [m.loop('walk', m.block(null, [
          m.br('found', m.i32.or(m.i32.eqz(this.get(v.k)), m.i32.eq(this.get(v.k), this.get(v.e)))),
          this.set(v.link, m.i32.add(this.get(v.k), this.c(HashEntry.NEXT))),
          this.set(v.k, m.i32.load(0, 4, this.get(v.link))),
          m.br('walk'),
        ]))]),
        this.store(0, this.get(v.link), m.i32.load(HashEntry.NEXT, 4, this.get(v.e))),
        this.unlock(m.i32.add(this.get(v.bucket), this.c(Bucket.LOCK))),
        ...this.unlink(v.e),
        this.countAdd(-1),
        ...this.pushFree(v.e),
        m.br('evicted'),
      ]))]),
    ]);
  }

  /** Local `e` = the entry holding the key (chain links read atomically, HashMap.find), or 0. */
  find(key: () => Expr): Expr[] {
    const { m, v } = this;
    return [
      this.set(v.e, m.i32.atomic.load(Bucket.HEAD, this.get(v.bucket))),
      m.block('looked', [m.loop('chain', m.block(null, [
        m.br('looked', m.i32.eqz(this.get(v.e))),
        m.br('looked', m.i32.and(m.i32.eq(m.i32.load(HashEntry.HASH, 4, this.get(v.e)), this.get(v.h)), keyEquals(m, this.l.keySize, () => this.get(v.e), key))),
        this.set(v.e, m.i32.atomic.load(HashEntry.NEXT, this.get(v.e))),
        m.br('chain'),
      ]))]),
    ];
  }

  /** The value slot this CPU writes in the entry in local `e`. */
  valueSlot(): Expr {
    const { m, l, v } = this;
    const base = m.i32.add(this.get(v.e), this.c(l.valueOff));
    return l.perCpu ? m.i32.add(base, m.i32.mul(m.global.get(Names.cpu, i32), this.c(l.stride))) : base;
  }

  /** HashMap.update's fill: the program's value into this CPU's slot; a new per-CPU entry's slots zeroed first. */
  fill(value: () => Expr, isNew: boolean): Expr[] {
    const { m, l, v } = this;
    const zero = isNew && l.perCpu ? zeroBytes(m, () => this.get(v.e), l.valueOff, l.ncpus * l.stride) : [];
    return [...zero, this.set(v.t, this.valueSlot()), ...copyBytes(m, () => this.get(v.t), 0, value, 0, l.valueSize)];
  }
}

const UPDATE_PARAMS = 3; // key: i32, value: i32, flags: i64
const DELETE_PARAMS = 1; // key: i32
const LOCAL_NAMES = ['h', 'k', 'e', 'bucket', 'link', 'prev', 'tries', 't', 'n'] as const;

function locals(first: number): Locals {
  return Object.fromEntries(LOCAL_NAMES.map((n, i) => [n, first + i])) as unknown as Locals;
}

/** Name, parameters, scratch locals and body of `(key: i32, value: i32, flags: i64) → i32` for map `l`. */
export function hashUpdateFunction(m: IrBuilder, l: HashLayout): { name: string; params: number[]; vars: number[]; body: Expr } {
  const v = locals(UPDATE_PARAMS);
  const ops = new HashOps(m, l, v);
  const key = (): Expr => m.local.get(0, i32);
  const value = (): Expr => m.local.get(1, i32);
  const flags = (): Expr => m.local.get(2, i64);
  const ret = (errno: number): Expr => m.return(m.i32.const(-errno));
  const body: Expr[] = [
    // flagsError: BPF_F_LOCK is refused as well, on maps without a bpf_spin_lock (the only ones lowered).
    m.if(m.i64.gt_u(flags(), m.i64.const(BPF_EXIST)), ret(Errno.EINVAL)),
    ...keyHashStatements(m, l, key, v.h, v.k),
  ];
  // LRU: make room before taking the bucket lock (eviction uses the scratch locals, bucket included).
  if (l.lruOff !== 0) body.push(m.if(m.i32.eqz(m.i32.atomic.load(0, ops.hdr(HashHdr.FREE_HEAD))), m.block(null, ops.evict())));
  body.push(ops.set(v.bucket, ops.bucketOf(ops.get(v.h))));
  const insert: Expr[] = [
    ...ops.popFree(v.e),
    m.if(m.i32.eqz(ops.get(v.e)), m.block(null, [ops.unlock(ops.get(v.bucket)), ret(Errno.E2BIG)])),
    m.i32.store(HashEntry.HASH, 4, ops.get(v.e), ops.get(v.h)),
    ...copyBytes(m, () => ops.get(v.e), HashEntry.KEY, key, 0, l.keySize),
    ...ops.fill(value, true),
    ops.store(HashEntry.NEXT, ops.get(v.e), m.i32.load(Bucket.HEAD, 4, ops.get(v.bucket))),
    ops.store(Bucket.HEAD, ops.get(v.bucket), ops.get(v.e)),
    ops.countAdd(1),
    ...(l.lruOff !== 0 ? ops.lruLocked(ops.linkHead(v.e)) : []),
  ];
  body.push(
    ops.lock(() => ops.get(v.bucket)),
    ...ops.find(key),
    m.if(ops.get(v.e),
      m.if(m.i64.eq(flags(), m.i64.const(BPF_NOEXIST)),
        m.block(null, [ops.unlock(ops.get(v.bucket)), ret(Errno.EEXIST)]),
        m.block(null, ops.fill(value, false))),
      m.if(m.i64.eq(flags(), m.i64.const(BPF_EXIST)),
        m.block(null, [ops.unlock(ops.get(v.bucket)), ret(Errno.ENOENT)]),
        m.block(null, insert))),
    ops.unlock(ops.get(v.bucket)),
    m.i32.const(0),
  );
  return { name: `hash_update_${l.addr >>> 0}`, params: [i32, i32, i64], vars: LOCAL_NAMES.map(() => i32), body: m.block(null, body, i32) };
}

/** Name, parameters, scratch locals and body of `(key: i32) → i32` (0 or -ENOENT) for map `l`. */
export function hashDeleteFunction(m: IrBuilder, l: HashLayout): { name: string; params: number[]; vars: number[]; body: Expr } {
  const v = locals(DELETE_PARAMS);
  const ops = new HashOps(m, l, v);
  const key = (): Expr => m.local.get(0, i32);
  const body: Expr[] = [
    ...keyHashStatements(m, l, key, v.h, v.k),
    ops.set(v.bucket, ops.bucketOf(ops.get(v.h))),
    ops.lock(() => ops.get(v.bucket)),
    ops.set(v.link, m.i32.add(ops.get(v.bucket), ops.c(Bucket.HEAD))),
    ops.set(v.tries, ops.c(-Errno.ENOENT)), // the result (tries is free in a delete)
    m.block('deleted', [m.loop('walk', m.block(null, [
      ops.set(v.e, m.i32.load(0, 4, ops.get(v.link))),
      m.br('deleted', m.i32.eqz(ops.get(v.e))),
      m.if(m.i32.and(m.i32.eq(m.i32.load(HashEntry.HASH, 4, ops.get(v.e)), ops.get(v.h)), keyEquals(m, l.keySize, () => ops.get(v.e), key)), m.block(null, [
        ops.store(0, ops.get(v.link), m.i32.load(HashEntry.NEXT, 4, ops.get(v.e))),
        ...(l.lruOff !== 0 ? ops.lruLocked(ops.unlink(v.e)) : []),
        ...ops.pushFree(v.e),
        ops.countAdd(-1),
        ops.set(v.tries, ops.c(0)),
        m.br('deleted'),
      ])),
      ops.set(v.link, m.i32.add(ops.get(v.e), ops.c(HashEntry.NEXT))),
      m.br('walk'),
    ]))]),
    ops.unlock(ops.get(v.bucket)),
    ops.get(v.tries),
  ];
  return { name: `hash_delete_${l.addr >>> 0}`, params: [i32], vars: LOCAL_NAMES.map(() => i32), body: m.block(null, body, i32) };
}
