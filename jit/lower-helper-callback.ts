/**
 * Helpers that call back into the program, lowered so the callback is a direct wasm call of its sub-program
 * (no trip through the JS trampoline and BigInt per call):
 *  - bpf_loop (181) (kernel/bpf/bpf_iter.c, and the verifier's inline_bpf_loop): flags ≠ 0 → -EINVAL;
 *    nr_loops (all 64 bits of r1) > BPF_MAX_LOOPS (1 << 23) → -E2BIG; else callback(i, ctx, 0, 0, 0) for
 *    i = 0, 1, … until it returns non-zero or nr_loops calls were made; returns the number of calls.
 *  - bpf_for_each_map_elem (164) on an ARRAY / PERCPU_ARRAY / HASH / PERCPU_HASH known at compile time
 *    (each map's map_for_each_callback): flags ≠ 0 → -EINVAL; else callback(map, &key, &value, ctx, 0) per
 *    element, in index order (arrays) or bucket-then-chain order (hash maps, src/vm/maps/hash.ts), until it
 *    returns non-zero; returns the number of elements visited. As in src/vm/helpers/for-each.ts the key is
 *    copied to this CPU's helper scratch and the value pointer is the element's own (this CPU's slot for
 *    per-CPU maps).
 * The callback runs one call frame deeper (r10 = the caller's r10 - 512), as a bpf-to-bpf call.
 *
 * The TS helper iterates over a snapshot of a hash map's keys; the wasm walk follows the chains in place
 * (as the kernel's RCU walk does), which visits the same elements in the same order only when the callback
 * cannot change the map. So a hash walk is lowered only when nothing the callback can run calls
 * bpf_map_update_elem / bpf_map_delete_elem (or a helper by register, or a kfunc); otherwise, and for other
 * map types or callbacks not known at compile time, the helper takes the trampoline.
 */
import binaryen from 'binaryen';
import { OP_LD_IMM64 } from '../src/ebpf/insn.js';
import { CallSrc, Class, JmpOp, PseudoSrc, Source, classOf, opOf, sourceOf } from '../src/ebpf/opcodes.js';
import { CPU_REGION_BASE, CPU_REGION_SIZE, HELPER_SCRATCH, STACK_FRAME_SIZE } from '../src/vm/arena-layout.js';
import { Errno } from '../src/vm/maps/errno.js';
import { MapHdr } from '../src/vm/maps/map-header.js';
import { Bucket, BUCKET_SIZE, HashEntry } from '../src/vm/maps/hash.js';
import { Names } from './function-builder.js';
import type { Expr, LowerContext } from './lower-context.js';
import { readMapLayout, type ArrayLayout, type HashLayout } from './map-layout.js';
import { slotWidth, subProgramEntries } from './cfg.js';

const FOR_EACH_MAP_ELEM = 164;
const LOOP = 181;
const MAP_UPDATE_ELEM = 2;
const MAP_DELETE_ELEM = 3;
/** kernel/bpf/bpf_iter.c BPF_MAX_LOOPS. */
const BPF_MAX_LOOPS = 1 << 23;

/** r0 for bpf_loop / bpf_for_each_map_elem with the callback as a wasm call, or undefined (trampoline). */
export function lowerCallbackHelper(ctx: LowerContext, helperId: number, at: number, u32: Uint32Array): Expr | undefined {
  if (helperId !== LOOP && helperId !== FOR_EACH_MAP_ELEM) return undefined;
  const callback = ctx.knownCallback(2);
  if (callback === undefined) return undefined;
  if (helperId === LOOP) return lowerLoop(ctx, callback, at);
  const mapAddr = ctx.knownMap(1);
  if (mapAddr === undefined) return undefined;
  const layout = readMapLayout(u32, mapAddr);
  // LPM tries and LRU hashes (which readMapLayout also describes) keep the trampoline here.
  if (layout === undefined || layout.kind === 'lpm' || (layout.kind === 'hash' && layout.lruOff !== 0)) return undefined;
  if (layout.kind === 'array') return forEachArray(ctx, callback, layout, mapAddr, at);
  if (mayChangeMaps(ctx, callback)) return undefined;
  return forEachHash(ctx, callback, layout, mapAddr, u32[(mapAddr + MapHdr.MAX_ENTRIES) >>> 2]!, at);
}

/** callback(r1..r5) one frame below the caller's. */
function callCallback(ctx: LowerContext, callback: number, args: readonly Expr[]): Expr {
  const { m } = ctx;
  const zero = (): Expr => m.i64.const(0n);
  const regs = [0, 1, 2, 3, 4].map((k) => args[k] ?? zero());
  regs.push(m.i64.sub(ctx.get(10), m.i64.const(BigInt(STACK_FRAME_SIZE))));
  return m.call(ctx.subProgramFunction(callback), regs, binaryen.i64);
}

/** -EINVAL when r4 (flags) is non-zero, else `result`. */
function flagsChecked(ctx: LowerContext, result: Expr): Expr {
  const { m } = ctx;
  return m.select(m.i64.ne(ctx.get(4), m.i64.const(0n)), m.i64.const(BigInt(-Errno.EINVAL)), result);
}

function lowerLoop(ctx: LowerContext, callback: number, at: number): Expr {
  const { m } = ctx;
  const { i32, i64 } = binaryen;
  const n = ctx.tempI32();
  const calls = ctx.tempI32();
  const count = (): Expr => m.local.get(calls, i32);
  const done = `loop_done_${at}`;
  const next = `loop_next_${at}`;
  const tooMany = (): Expr => m.i64.gt_u(ctx.get(1), m.i64.const(BigInt(BPF_MAX_LOOPS)));
  const result = ctx.tempI64();
  return m.block(null, [
    m.local.set(calls, m.i32.const(0)),
    m.if(m.i32.and(m.i64.eqz(ctx.get(4)), m.i32.eqz(tooMany())), m.block(null, [
      m.local.set(n, m.i32.wrap(ctx.get(1))),
      m.if(m.i32.lt_u(count(), m.local.get(n, i32)), m.block(done, [m.loop(next, m.block(null, [
        m.local.set(result, callCallback(ctx, callback, [m.i64.extend_u(count()), ctx.get(3)])),
        m.local.set(calls, m.i32.add(count(), m.i32.const(1))),
        m.br(done, m.i64.ne(m.local.get(result, i64), m.i64.const(0n))),
        m.br(next, m.i32.lt_u(count(), m.local.get(n, i32))),
      ]))])),
    ])),
    flagsChecked(ctx, m.select(tooMany(), m.i64.const(BigInt(-Errno.E2BIG)), m.i64.extend_u(count()))),
  ], i64);
}

/** This CPU's helper scratch, where the element's key is handed to the callback (for-each.ts). */
function keyScratch(ctx: LowerContext): Expr {
  const { m } = ctx;
  return m.i32.add(m.i32.const(CPU_REGION_BASE + HELPER_SCRATCH), m.i32.mul(m.global.get(Names.cpu, binaryen.i32), m.i32.const(CPU_REGION_SIZE)));
}

function forEachArray(ctx: LowerContext, callback: number, l: ArrayLayout, mapAddr: number, at: number): Expr {
  const { m } = ctx;
  const { i32, i64 } = binaryen;
  const key = ctx.tempI32();
  const index = ctx.tempI32();
  const result = ctx.tempI64();
  const i = (): Expr => m.local.get(index, i32);
  const done = `each_done_${at}`;
  const next = `each_next_${at}`;
  // Value slot of element i: array.ts slot(i, cpu) for per-CPU maps, slot(i, 0) otherwise.
  const slot = l.perCpu ? m.i32.add(m.i32.mul(i(), m.i32.const(l.ncpus)), m.global.get(Names.cpu, i32)) : i();
  const value = m.i32.add(m.i32.const(l.data | 0), m.i32.mul(slot, m.i32.const(l.stride)));
  return m.block(null, [
    m.local.set(index, m.i32.const(0)),
    m.if(m.i64.eqz(ctx.get(4)), m.block(null, [
      m.local.set(key, keyScratch(ctx)),
      m.block(done, [m.loop(next, m.block(null, [
        m.i32.store(0, 4, m.local.get(key, i32), i()),
        m.local.set(result, callCallback(ctx, callback, [
          m.i64.const(BigInt(mapAddr)), m.i64.extend_u(m.local.get(key, i32)), m.i64.extend_u(value), ctx.get(3),
        ])),
        m.local.set(index, m.i32.add(i(), m.i32.const(1))),
        m.br(done, m.i64.ne(m.local.get(result, i64), m.i64.const(0n))),
        m.br(next, m.i32.lt_u(i(), m.i32.const(l.maxEntries | 0))),
      ]))]),
    ])),
    flagsChecked(ctx, m.i64.extend_u(i())),
  ], i64);
}

function forEachHash(ctx: LowerContext, callback: number, l: HashLayout, mapAddr: number, maxEntries: number, at: number): Expr {
  const { m } = ctx;
  const { i32, i64 } = binaryen;
  const key = ctx.tempI32();
  const bucket = ctx.tempI32();
  const entry = ctx.tempI32();
  const visited = ctx.tempI32();
  const e = (): Expr => m.local.get(entry, i32);
  const count = (): Expr => m.local.get(visited, i32);
  const done = `each_done_${at}`;
  const nextBucket = `each_bucket_${at}`;
  const chainEnd = `each_chain_end_${at}`;
  const nextEntry = `each_entry_${at}`;
  const value = l.perCpu
    ? m.i32.add(m.i32.add(e(), m.i32.const(l.valueOff)), m.i32.mul(m.global.get(Names.cpu, i32), m.i32.const(l.stride)))
    : m.i32.add(e(), m.i32.const(l.valueOff));
  const bucketHead = m.i32.add(m.i32.const((l.buckets + Bucket.HEAD) | 0), m.i32.mul(m.local.get(bucket, i32), m.i32.const(BUCKET_SIZE)));
  return m.block(null, [
    m.local.set(visited, m.i32.const(0)),
    m.if(m.i64.eqz(ctx.get(4)), m.block(null, [
      m.local.set(key, keyScratch(ctx)),
      m.local.set(bucket, m.i32.const(0)),
      m.block(done, [m.loop(nextBucket, m.block(null, [
        // Chain links are read atomically, as the wasm lookup and the TS side do (hash.ts publishes entries
        // with an atomic store of the bucket head).
        m.local.set(entry, m.i32.atomic.load(0, bucketHead)),
        m.block(chainEnd, [m.loop(nextEntry, m.block(null, [
          m.br(chainEnd, m.i32.eqz(e())),
          ...copyKey(ctx, l.keySize, key, e),
          m.local.set(visited, m.i32.add(count(), m.i32.const(1))),
          m.br(done, m.i64.ne(callCallback(ctx, callback, [
            m.i64.const(BigInt(mapAddr)), m.i64.extend_u(m.local.get(key, i32)), m.i64.extend_u(value), ctx.get(3),
          ]), m.i64.const(0n))),
          // A map never holds more than max_entries elements: the bound keeps a walk racing another CPU's
          // deletes (which relink entries into the free list) finite.
          m.br(done, m.i32.ge_u(count(), m.i32.const(maxEntries | 0))),
          m.local.set(entry, m.i32.atomic.load(HashEntry.NEXT, e())),
          m.br(nextEntry),
        ]))]),
        m.local.set(bucket, m.i32.add(m.local.get(bucket, i32), m.i32.const(1))),
        m.br(nextBucket, m.i32.lt_u(m.local.get(bucket, i32), m.i32.const(l.nBuckets))),
      ]))]),
    ])),
    flagsChecked(ctx, m.i64.extend_u(count())),
  ], i64);
}

/** Stores copying the entry's key (at entry + 8) to the scratch at local `dst`, in 8/4/2/1-byte pieces. */
function copyKey(ctx: LowerContext, size: number, dst: number, entry: () => Expr): Expr[] {
  const { m } = ctx;
  const to = (): Expr => m.local.get(dst, binaryen.i32);
  const out: Expr[] = [];
  let off = 0;
  for (; size - off >= 8; off += 8) out.push(m.i64.store(off, 1, to(), m.i64.load(HashEntry.KEY + off, 1, entry())));
  for (; size - off >= 4; off += 4) out.push(m.i32.store(off, 1, to(), m.i32.load(HashEntry.KEY + off, 1, entry())));
  for (; size - off >= 2; off += 2) out.push(m.i64.store16(off, 1, to(), m.i64.load16_u(HashEntry.KEY + off, 1, entry())));
  for (; size - off >= 1; off += 1) out.push(m.i64.store8(off, 1, to(), m.i64.load8_u(HashEntry.KEY + off, 1, entry())));
  return out;
}

/**
 * Whether anything the callback starting at `slot` can run (itself, its bpf-to-bpf callees, the callbacks
 * it passes on) may update or delete map elements.
 */
function mayChangeMaps(ctx: LowerContext, slot: number): boolean {
  const { insns } = ctx;
  const entries = subProgramEntries(insns, [], ctx.program);
  const seen = new Set<number>();
  const work = [slot];
  while (work.length > 0) {
    const start = work.pop()!;
    if (seen.has(start)) continue;
    seen.add(start);
    const end = entries.find((s) => s > start) ?? insns.length;
    for (let i = start; i < end; i += slotWidth(insns[i]!)) {
      const insn = insns[i]!;
      if (insn.code === OP_LD_IMM64 && insn.src === PseudoSrc.FUNC) work.push(i + insn.imm + 1);
      if (classOf(insn.code) !== Class.JMP || opOf(insn.code) !== JmpOp.CALL) continue;
      if (sourceOf(insn.code) === Source.X || insn.src === CallSrc.KFUNC) return true;
      if (insn.src === CallSrc.PSEUDO_CALL) work.push(i + insn.imm + 1);
      else if (insn.imm === MAP_UPDATE_ELEM || insn.imm === MAP_DELETE_ELEM) return true;
    }
  }
  return false;
}
