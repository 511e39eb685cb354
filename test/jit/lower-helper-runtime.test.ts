/**
 * The runtime helpers jit/lower-helper-runtime.ts lowers (clocks, spin lock, ring buffer query / reserve,
 * check_mtu) against the runtime's TS helpers on the same arena bytes: each case runs a tiny program
 * (r1..r5 loaded, one helper call, exit) once through the trampoline and once lowered, from the same state,
 * and compares r0 and the bytes the helper may touch; where the lowering answers in wasm, the lowered run
 * must not reach the trampoline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { Desc, DESC_SIZE } from '../../src/vm/arena-layout.js';
import { MapType } from '../../src/ebpf/object-spec.js';
import { PseudoSrc } from '../../src/ebpf/opcodes.js';
import { buildHelpers } from '../../src/vm/helpers/helper-table.js';
import type { HelperEnv } from '../../src/vm/helpers/helper-env.js';
import { CaptureClock, type Clock, hrtimeHalves, HZ, WallClock } from '../../src/vm/clock.js';
import { RingbufHdr, RingbufMap } from '../../src/vm/maps/ringbuf.js';
import { SlotArrayMap } from '../../src/vm/maps/slot-array.js';
import type { BpfMap } from '../../src/vm/maps/bpf-map.js';
import type { Insn } from '../../src/ebpf/insn.js';
import { compileProgram } from '../../jit/compile.js';
import { createInlineHelpers } from '../../jit/inline-helpers.js';
import { JitInstance } from '../../jit/instance.js';
import { callHelper, exit, insn, ldImm64 } from './insn-builders.js';

const CPU = 0;

interface Rig {
  readonly arena: Arena;
  readonly maps: Map<number, BpfMap>;
  /** Events the helpers emitted so far. */
  readonly events: unknown[];
  /** r0 through the trampoline, r0 lowered, and how many trampoline calls the lowered run made. */
  pair(insns: Insn[], ctx?: number): { ts: () => bigint; lowered: () => bigint; calls: () => number };
}

function rig(clock: Clock, devices: ReadonlyMap<number, number> = new Map()): Rig {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 1 });
  const maps = new Map<number, BpfMap>();
  const events: unknown[] = [];
  const env: HelperEnv = {
    arena, clock, mapAt: (a) => maps.get(a), checkMem: () => undefined, programById: () => undefined,
    fault: (c, message) => new Error(`insn ${c.insn}: ${message}`), deviceMtu: (i) => devices.get(i), allMaps: () => [...maps.values()],
    emit: (e) => { events.push(e); },
  };
  const helpers = buildHelpers(env);
  return {
    arena, maps, events,
    pair(insns, ctx = 0) {
      const program = { name: 'p', insns: [...insns, exit()], funcs: [] };
      let calls = 0;
      const viaTs = new JitInstance(compileProgram(program), { memory: arena.memory, cpu: CPU, helpers, clock });
      const lowered = new JitInstance(compileProgram(program, { inlineHelper: createInlineHelpers(arena.u32) }),
        { memory: arena.memory, cpu: CPU, helpers: (h) => { calls++; return helpers(h); }, clock });
      return { ts: () => viaTs.run(BigInt(ctx), 0n, ctx), lowered: () => lowered.run(BigInt(ctx), 0n, ctx), calls: () => calls };
    },
  };
}

const call = (id: number, ...args: bigint[]): Insn[] => [...args.flatMap((v, i) => ldImm64(i + 1, v)), callHelper(id)];

test('hrtimeHalves splits sec·1e9 + nsec exactly, past 2^53 too', () => {
  const out = new Uint32Array(2);
  let seed = 7;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
  for (const [sec, nsec] of [[0, 0], [1, 999_999_999], [9_007_199, 254_740_993], [0xffffffff, 999_999_999], [4_294_967, 296_000_000]] as const) {
    hrtimeHalves(sec, nsec, out, 0);
    assert.equal((BigInt(out[1]!) << 32n) | BigInt(out[0]!), BigInt(sec) * 1_000_000_000n + BigInt(nsec), `${sec}s ${nsec}ns`);
  }
  for (let i = 0; i < 1000; i++) {
    const sec = rand(0xffffffff);
    const nsec = rand(1_000_000_000);
    hrtimeHalves(sec, nsec, out, 0);
    assert.equal((BigInt(out[1]!) << 32n) | BigInt(out[0]!), BigInt(sec) * 1_000_000_000n + BigInt(nsec));
  }
});

test('clock helpers on a capture clock: the entry\'s first call publishes the clock, later calls answer in wasm, exactly as the TS helpers', () => {
  const clock = new CaptureClock(3);
  const r = rig(clock);
  for (const id of [5, 118, 125, 160]) {
    const once = r.pair(call(id));
    // r0 = the second call's answer (in wasm once the first published the cell).
    const twice = r.pair([callHelper(id), callHelper(id)]);
    let runs = 0;
    for (const ts of [0n, 1n, 3_999_999n, 4_000_000n, 1_700_000_000_123_456_789n, (1n << 53n) + 12_345n, (1n << 63n) - 1n]) {
      clock.enterFrame(ts);
      assert.equal(once.lowered(), once.ts(), `helper ${id} at ${ts}, first call`);
      assert.equal(twice.lowered(), twice.ts(), `helper ${id} at ${ts}, second call`);
      runs++;
    }
    assert.equal(once.calls(), runs, `helper ${id}: one trampoline call per entry`);
    assert.equal(twice.calls(), runs, `helper ${id}: the second call reached the trampoline`);
  }
});

test('bpf_get_prandom_u32 lowered continues the clock\'s generator: the same sequence as the TS helper alone', () => {
  for (const clock of [new CaptureClock(42), new WallClock(42)]) {
    const reference = new CaptureClock(42);
    const r = rig(clock);
    // r0 = the second of two calls in one run (the first publishes the generator, the second steps it in wasm).
    const p = r.pair([callHelper(7), callHelper(7)]);
    let lowered = 0;
    for (let i = 0; i < 50; i++) {
      const useTs = i % 3 === 0;
      const got = useTs ? p.ts() : p.lowered();
      if (!useTs) lowered++;
      reference.prandomU32();
      assert.equal(got, BigInt(reference.prandomU32()), `run ${i} (${useTs ? 'trampoline' : 'lowered'})`);
    }
    assert.equal(clock.prandomU32(), reference.prandomU32(), 'the clock took the state back');
    assert.equal(p.calls(), lowered, 'one trampoline call per lowered run');
  }
});

test('clock helpers on the wall clock: ktime after the first call through the clock_now import, coarse and jiffies from the time published at the first call', () => {
  const clock = new WallClock(1);
  const r = rig(clock);
  const tick = 1_000_000_000n / BigInt(HZ);
  for (const id of [5, 125]) {
    const p = r.pair([callHelper(id), callHelper(id)]);
    // r0 = the second read minus the first: the host clock moved forward (or not), never back.
    const delta = r.pair([callHelper(id), insn(0xbf, 6, 0), callHelper(id), insn(0x1f, 0, 6)]);
    const before = process.hrtime.bigint();
    const t = p.lowered();
    assert.ok(t >= before && t <= process.hrtime.bigint(), `helper ${id}: ${t} not between reads of the host clock`);
    const d = delta.lowered();
    assert.ok(d >= 0n && d < 1_000_000_000n, `helper ${id}: second read - first = ${d}`);
    assert.equal(p.calls() + delta.calls(), 2, `helper ${id}: only the entry's first call takes the trampoline`);
  }
  for (const id of [160, 118]) {
    const once = r.pair(call(id));
    // The second call (in wasm) minus the first (through the trampoline): the same published time, 0.
    const delta = r.pair([callHelper(id), insn(0xbf, 6, 0), callHelper(id), insn(0x1f, 0, 6)]);
    const before = process.hrtime.bigint();
    const v = once.lowered();
    const after = process.hrtime.bigint();
    if (id === 160) {
      assert.equal(v % tick, 0n);
      assert.ok(v >= before - (before % tick) && v <= after, `coarse ${v}`);
    } else {
      assert.ok(v >= before / tick && v <= after / tick, `jiffies ${v}`);
    }
    assert.equal(delta.lowered(), 0n, `helper ${id}: the second call read another time`);
    assert.equal(once.calls() + delta.calls(), 2, `helper ${id}: one trampoline call per entry`);
  }
});

test('clock helpers without a publishing clock keep the trampoline', () => {
  const plain: Clock = {
    monotonicNs: () => 123_456_789n, bootNs: () => 123_456_790n, coarseNs: () => 120_000_000n, jiffies64: () => 30n,
    prandomU32: () => 0, enterFrame: () => undefined,
  };
  const r = rig(plain);
  for (const [id, want] of [[5, 123_456_789n], [125, 123_456_790n], [160, 120_000_000n], [118, 30n]] as const) {
    const p = r.pair(call(id));
    assert.equal(p.lowered(), want);
    assert.equal(p.calls(), 1);
  }
});

test('bpf_spin_lock / unlock lowered take and release the lock word as the TS helpers do', () => {
  const r = rig(new CaptureClock());
  const word = r.arena.alloc(8, 'lock');
  const lock = r.pair(call(93, BigInt(word)));
  const unlock = r.pair(call(94, BigInt(word)));
  const u32 = r.arena.u32;
  assert.equal(lock.lowered(), 0n);
  assert.equal(u32[word >>> 2], 1);
  assert.equal(u32[(word >>> 2) + 1], 0, 'the next word is untouched');
  assert.equal(unlock.lowered(), 0n);
  assert.equal(u32[word >>> 2], 0);
  assert.equal(unlock.ts(), 0n);
  assert.equal(lock.ts(), 0n);
  assert.equal(u32[word >>> 2], 1);
  assert.equal(lock.calls() + unlock.calls(), 0);
});

test('bpf_ringbuf_query / reserve lowered give the TS results and ring bytes', () => {
  const r = rig(new CaptureClock());
  const ring = RingbufMap.create(r.arena, { name: 'rb', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 });
  r.maps.set(ring.addr, ring);
  const region = (): Uint8Array => r.arena.u8.slice(ring.addr, ring.addr + ring.footprint);
  const u32 = r.arena.u32;
  const mapArg = (): Insn[] => ldImm64(1, BigInt(ring.addr), PseudoSrc.MAP_FD);
  let seed = 99;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
  const pairs = new Map<string, ReturnType<Rig['pair']>>();
  const pairFor = (id: number, a2: bigint, a3: bigint): ReturnType<Rig['pair']> => {
    const key = `${id}/${a2}/${a3}`;
    let p = pairs.get(key);
    if (!p) pairs.set(key, (p = r.pair([...mapArg(), ...ldImm64(2, a2), ...ldImm64(3, a3), callHelper(id)])));
    return p;
  };
  for (let step = 0; step < 400; step++) {
    const kind = rand(4);
    let id: number;
    let a2: bigint;
    let a3 = 0n;
    if (kind === 0) {
      id = 134;
      a2 = [0n, 1n, 2n, 3n, 4n, 1n << 32n][rand(6)]!;
    } else {
      id = 131;
      a2 = [1n, 8n, 13n, 100n, 4088n, 4089n, 600n, (1n << 32n) | 8n][rand(8)]!;
      a3 = rand(10) === 0 ? 1n : 0n;
    }
    // Now and then a consumer catches up, so the ring wraps.
    if (rand(6) === 0) Atomics.store(u32, (ring.addr + RingbufHdr.CONSUMER_POS) >>> 2, u32[(ring.addr + RingbufHdr.PRODUCER_POS) >>> 2]!);
    const before = region();
    const p = pairFor(id, a2, a3);
    const tsR0 = p.ts();
    const tsAfter = region();
    r.arena.u8.set(before, ring.addr);
    const r0 = p.lowered();
    const what = `step ${step} helper ${id} r2 ${a2} r3 ${a3}`;
    assert.equal(r0, tsR0, `${what}: r0`);
    assert.deepEqual(region(), tsAfter, `${what}: ring bytes`);
    assert.equal(p.calls(), 0, `${what}: reached the trampoline`);
  }
});

test('bpf_check_mtu lowered gives the TS results, learning each device\'s MTU from its first call', () => {
  const r = rig(new CaptureClock(), new Map([[1, 1500], [3, 9000], [7, 0xffff_fff0]]));
  const desc = r.arena.alloc(DESC_SIZE, 'desc');
  const slot = r.arena.alloc(4096, 'slot');
  const mtuLen = r.arena.alloc(8, 'mtu_len');
  const u32 = r.arena.u32;
  u32[(desc + Desc.DATA) >>> 2] = slot + 256;
  u32[(desc + Desc.SLOT) >>> 2] = slot;
  u32[(desc + Desc.INGRESS_IFINDEX) >>> 2] = 3;
  let seed = 5;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
  for (let step = 0; step < 600; step++) {
    const ifindex = [0n, 1n, 3n, 7n, 2n, (1n << 32n) | 1n][rand(6)]!;
    const given = [0, 0, 1500, 1501, 9000, 9001, 0xffffffff][rand(7)]!;
    const lenDiff = [0n, 0n, 1n, -1n, 1000n, -60n, 0xffffffffn, (5n << 32n) | 2n][rand(8)]!;
    const flags = rand(8) === 0 ? [1n, 1n << 40n][rand(2)]! : 0n;
    const frameLen = [60, 1514, 1515, 3000][rand(4)]!;
    u32[(desc + Desc.DATA_END) >>> 2] = slot + 256 + frameLen;
    // Two calls in one run (the second may answer from the memo the first filled), *mtu_len reset to `given`
    // between them; r0 = first & 0xff | (second & 0xff) << 8.
    const args = (): Insn[] => [...ldImm64(1, BigInt(desc)), ...ldImm64(2, ifindex), ...ldImm64(3, BigInt(mtuLen)), ...ldImm64(4, lenDiff), ...ldImm64(5, flags)];
    const p = r.pair([
      ...args(), callHelper(163),
      insn(0xbf, 6, 0), insn(0x57, 6, 0, 0, 0xff),
      ...ldImm64(8, BigInt(mtuLen)), ...ldImm64(9, BigInt(given)), insn(0x63, 8, 9),
      ...args(), callHelper(163),
      insn(0x57, 0, 0, 0, 0xff), insn(0x67, 0, 0, 0, 8), insn(0x4f, 0, 6),
    ], desc);
    u32[mtuLen >>> 2] = given;
    const tsR0 = p.ts();
    const tsMtu = u32[mtuLen >>> 2];
    u32[mtuLen >>> 2] = given;
    const calls = p.calls();
    const r0 = p.lowered();
    const what = `step ${step}: ifindex ${ifindex} given ${given} len_diff ${lenDiff} flags ${flags} len ${frameLen}`;
    assert.equal(r0, tsR0, `${what}: r0`);
    assert.equal(u32[mtuLen >>> 2], tsMtu, `${what}: *mtu_len`);
    assert.equal(p.calls() - calls, (r0 & 0xffn) <= 1n && flags === 0n ? 1 : 2, `${what}: trampoline calls`);
  }
});

test('bpf_perf_event_output lowered: undelivered outcomes in wasm, the rest through the TS helper, same results and events', () => {
  const r = rig(new CaptureClock());
  const perf = SlotArrayMap.create(r.arena, { name: 'perf', type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 });
  r.maps.set(perf.addr, perf);
  assert.equal(perf.write(Uint8Array.of(2, 0, 0, 0), [Uint8Array.of(7, 0, 0, 0)], 0), 0);
  const desc = r.arena.alloc(DESC_SIZE, 'desc');
  const slot = r.arena.alloc(4096, 'slot');
  const sample = r.arena.alloc(16, 'sample');
  const u32 = r.arena.u32;
  u32[(desc + Desc.DATA) >>> 2] = slot + 256;
  u32[(desc + Desc.DATA_END) >>> 2] = slot + 256 + 60;
  u32[(desc + Desc.SLOT) >>> 2] = slot;
  for (const index of [0n, 1n, 2n, 3n, 4n, 0xffffffffn]) {
    for (const ctxLen of [0n, 14n, 60n, 61n, 0xfffffn, 0x100000n, 1n << 31n]) {
      // CPU 0: BPF_F_CURRENT_CPU names the empty slot 0.
      const flags = (ctxLen << 32n) | index;
      const p = r.pair([...ldImm64(1, BigInt(desc)), ...ldImm64(2, BigInt(perf.addr), PseudoSrc.MAP_FD), ...ldImm64(3, flags),
        ...ldImm64(4, BigInt(sample)), ...ldImm64(5, 8n), callHelper(25)], desc);
      const before = r.events.length;
      const tsR0 = p.ts();
      const tsEvents = r.events.length - before;
      const lowered = p.lowered();
      const what = `index ${index} ctx_len ${ctxLen}`;
      assert.equal(lowered, tsR0, `${what}: r0`);
      assert.equal(r.events.length - before - tsEvents, tsEvents, `${what}: events`);
      const delivers = tsR0 === 0n;
      const fails = tsR0 === BigInt.asUintN(64, -2n) || tsR0 === BigInt.asUintN(64, -7n);
      assert.equal(p.calls(), delivers || !fails ? 1 : 0, `${what}: trampoline calls`);
    }
  }
});
