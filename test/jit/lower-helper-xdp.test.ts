/**
 * The wasm lowerings of jit/lower-helper-xdp.ts against the runtime's TS helpers (src/vm/helpers/), on the
 * same arena: each call runs once through the trampoline (TS) and once lowered, from the same arena bytes,
 * and r0 plus every byte of the frame slot, the descriptor, the fragment page and the CPU's redirect state
 * must match. Where a case stays on the fast path the lowered run must not reach the trampoline at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { MapType } from '../../src/ebpf/object-spec.js';
import { Class, JmpOp, PseudoSrc } from '../../src/ebpf/opcodes.js';
import { DESC_SIZE, Desc, FRAME_SLOT_SIZE, REDIRECT_STATE, REDIRECT_STATE_BYTES, XDP_PACKET_HEADROOM, cpuRegion } from '../../src/vm/arena-layout.js';
import { FRAG_SIZE, FRAG_TABLE_SIZE } from '../../src/vm/helpers/xdp-buff.js';
import { buildHelpers } from '../../src/vm/helpers/helper-table.js';
import type { HelperEnv } from '../../src/vm/helpers/helper-env.js';
import { CaptureClock } from '../../src/vm/clock.js';
import { SlotArrayMap } from '../../src/vm/maps/slot-array.js';
import { HashMap } from '../../src/vm/maps/hash.js';
import type { BpfMap } from '../../src/vm/maps/bpf-map.js';
import type { HelperImpl } from '../../src/vm/exec-types.js';
import { compileProgram } from '../../jit/compile.js';
import { createInlineHelpers } from '../../jit/inline-helpers.js';
import { JitInstance } from '../../jit/instance.js';
import { XdpHelperId } from '../../jit/lower-helper-xdp.js';
import { callHelper, exit, insn, ldImm64 } from './insn-builders.js';

const CPU = 1;

interface Fixture {
  readonly arena: Arena;
  readonly desc: number;
  readonly slot: number;
  readonly fragTable: number;
  readonly fragPage: number;
  readonly buf: number;
  readonly maps: Map<number, BpfMap>;
  readonly helpers: (id: number) => HelperImpl | undefined;
}

function fixture(): Fixture {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 2 });
  const maps = new Map<number, BpfMap>();
  const env: HelperEnv = {
    arena,
    clock: new CaptureClock(),
    mapAt: (addr) => maps.get(addr),
    checkMem: () => undefined,
    programById: () => undefined,
    fault: (c, message) => new Error(`insn ${c.insn}: ${message}`),
    deviceMtu: () => undefined,
    allMaps: () => [...maps.values()],
    emit: () => undefined,
  };
  return {
    arena, maps, helpers: buildHelpers(env),
    desc: arena.alloc(DESC_SIZE, 'desc'), slot: arena.alloc(FRAME_SLOT_SIZE, 'slot'),
    fragTable: arena.alloc(FRAG_TABLE_SIZE, 'frags'), fragPage: arena.alloc(FRAG_SIZE, 'frag page'), buf: arena.alloc(512, 'buf'),
  };
}

interface FrameShape { readonly len: number; readonly meta?: number; readonly headShift?: number; readonly frag?: number }

/** A frame of `len` linear bytes (patterned), `meta` bytes of metadata, optionally one fragment of `frag` bytes. */
function placeFrame(f: Fixture, shape: FrameShape): void {
  const { arena, desc, slot } = f;
  const u8 = arena.u8;
  for (let i = 0; i < FRAME_SLOT_SIZE; i++) u8[slot + i] = (i * 7 + 3) & 0xff;
  for (let i = 0; i < FRAG_SIZE; i++) u8[f.fragPage + i] = (i * 13 + 1) & 0xff;
  for (let i = 0; i < 512; i++) u8[f.buf + i] = (i * 5 + 11) & 0xff;
  const u32 = arena.u32;
  const data = slot + XDP_PACKET_HEADROOM + (shape.headShift ?? 0);
  const w = (off: number, v: number): void => { u32[(desc + off) >>> 2] = v; };
  w(Desc.DATA, data);
  w(Desc.DATA_END, data + shape.len);
  w(Desc.DATA_META, data - (shape.meta ?? 0));
  w(Desc.SLOT, slot);
  w(Desc.INGRESS_IFINDEX, 1);
  if (shape.frag !== undefined) {
    u32[f.fragTable >>> 2] = 1;
    u32[(f.fragTable + 4) >>> 2] = f.fragPage;
    u32[(f.fragTable + 8) >>> 2] = shape.frag;
    w(Desc.FRAGS_LEN, shape.frag);
    w(Desc.FRAGS_ADDR, f.fragTable);
  } else {
    w(Desc.FRAGS_LEN, 0);
    w(Desc.FRAGS_ADDR, 0);
  }
  const rs = cpuRegion(CPU) + REDIRECT_STATE;
  u32[rs >>> 2] = 0xdead;
  u32[(rs + 4) >>> 2] = 0xbeef;
  u32[(rs + 8) >>> 2] = 0xfeed;
  u32[(rs + 12) >>> 2] = 0xface;
  u32[(rs + 16) >>> 2] = 0xcafe;
}

/** Arena bytes a helper may touch. */
function snapshot(f: Fixture): Uint8Array[] {
  const u8 = f.arena.u8;
  const rs = cpuRegion(CPU) + REDIRECT_STATE;
  return [
    u8.slice(f.desc, f.desc + DESC_SIZE), u8.slice(f.slot, f.slot + FRAME_SLOT_SIZE), u8.slice(f.fragTable, f.fragTable + FRAG_TABLE_SIZE),
    u8.slice(f.fragPage, f.fragPage + FRAG_SIZE), u8.slice(f.buf, f.buf + 512), u8.slice(rs, rs + REDIRECT_STATE_BYTES),
  ];
}

type Args = readonly [bigint, bigint, bigint, bigint, bigint];

/**
 * r1..r5 = args (r1 as a map reference when `map` is given), call `id`, exit. Runs it through the TS helper
 * and lowered from the same frame; returns the lowered run's trampoline calls.
 */
function compare(f: Fixture, id: number, shape: FrameShape, args: Args, map?: BpfMap, mapInOtherBlock = false): number {
  const insns = [
    ...(map ? ldImm64(1, BigInt(map.addr), PseudoSrc.MAP_FD) : ldImm64(1, args[0])),
    // `ja +0` ends the block: the map in r1 is then unknown at the call (a call site several maps reach).
    ...(mapInOtherBlock ? [insn(Class.JMP | JmpOp.JA)] : []),
    ...ldImm64(2, args[1]), ...ldImm64(3, args[2]), ...ldImm64(4, args[3]), ...ldImm64(5, args[4]),
    callHelper(id), exit(),
  ];
  const program = { name: `h${id}`, insns, funcs: [] };
  const viaTs = new JitInstance(compileProgram(program), { memory: f.arena.memory, cpu: CPU, helpers: f.helpers });
  let trampolined = 0;
  const lowered = new JitInstance(compileProgram(program, { inlineHelper: createInlineHelpers(f.arena.u32) }), {
    memory: f.arena.memory, cpu: CPU, helpers: (h) => { trampolined++; return f.helpers(h); },
  });
  const what = `helper ${id} frame ${JSON.stringify(shape)} args ${args.map((a) => `0x${BigInt.asUintN(64, a).toString(16)}`).join(',')}`;
  placeFrame(f, shape);
  const tsR0 = viaTs.run(0n, 0n, f.desc);
  const tsBytes = snapshot(f);
  placeFrame(f, shape);
  const r0 = lowered.run(0n, 0n, f.desc);
  assert.equal(r0, tsR0, `${what}: r0`);
  snapshot(f).forEach((b, i) => assert.deepEqual(b, tsBytes[i], `${what}: arena region ${i}`));
  return trampolined;
}

const I32_MIN = -(2n ** 31n);
const I32_MAX = 2n ** 31n - 1n;
const neg = (v: bigint): bigint => BigInt.asUintN(64, v);

test('bpf_redirect lowered: flags refuse with XDP_ABORTED, otherwise the ifindex in the redirect state', () => {
  const f = fixture();
  for (const ifindex of [1n, 7n, 0xffffffffn, 0x1_0000_0005n]) {
    for (const flags of [0n, 1n, 1n << 40n]) {
      assert.equal(compare(f, XdpHelperId.REDIRECT, { len: 64 }, [ifindex, flags, 0n, 0n, 0n]), 0);
    }
  }
});

test('bpf_redirect_map lowered on DEVMAP, CPUMAP and XSKMAP: slots, empty slots, out of range, every flag', () => {
  const f = fixture();
  const key = (i: number): Uint8Array => new Uint8Array(new Uint32Array([i]).buffer);
  const word = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);
  for (const [type, valueSize] of [[MapType.DEVMAP, 4], [MapType.DEVMAP, 8], [MapType.CPUMAP, 4], [MapType.XSKMAP, 4]] as const) {
    const map = SlotArrayMap.create(f.arena, { name: `m${type}_${valueSize}`, type, keySize: 4, valueSize, maxEntries: 5, flags: 0 });
    f.maps.set(map.addr, map);
    const value = (v: number): Uint8Array => (valueSize === 8 ? new Uint8Array([...word(v), 0, 0, 0, 0]) : word(v));
    assert.equal(map.write(key(0), [value(type === MapType.CPUMAP ? 64 : 3)], 0), 0);
    assert.equal(map.write(key(1), [value(type === MapType.CPUMAP ? 128 : 9)], 0), 0);
    for (const index of [0n, 1n, 3n, 4n, 5n, 0x4000_0000n, 0x2000_0000n, 0xffffffffn, 0x1_0000_0001n]) {
      for (const flags of [0n, 1n, 2n, 3n, 4n, 8n, 16n, 8n | 16n, 8n | 2n, 1n << 32n]) {
        for (const unknown of [false, true]) {
          assert.equal(compare(f, XdpHelperId.REDIRECT_MAP, { len: 64 }, [0n, index, flags, 0n, 0n], map, unknown), 0, `type ${type}`);
        }
      }
    }
  }
});

test('bpf_redirect_map on a DEVMAP_HASH lowered in wasm (bucket chains walked), whether or not the map is known', () => {
  const f = fixture();
  const map = HashMap.create(f.arena, { name: 'dh', type: MapType.DEVMAP_HASH, keySize: 4, valueSize: 4, maxEntries: 8, flags: 0 }, false, 1);
  f.maps.set(map.addr, map);
  // 8 keys in 8 buckets: some share a chain; 101 and 0xffffffff are absent.
  const keys = [100, 0, 7, 8, 64, 255, 256, 0x7fffffff];
  for (const k of keys) assert.equal(map.write(new Uint8Array(new Uint32Array([k]).buffer), [new Uint8Array([k & 0xff, 1, 0, 0])], 0), 0);
  for (const index of [...keys.map(BigInt), 101n, 0xffffffffn, 0x1_0000_0064n]) {
    for (const flags of [0n, 2n, 8n, 10n, 24n, 1n << 40n]) {
      for (const unknown of [false, true]) assert.equal(compare(f, XdpHelperId.REDIRECT_MAP, { len: 64 }, [0n, index, flags, 0n, 0n], map, unknown), 0);
    }
  }
});

test('bpf_xdp_adjust_head / adjust_meta lowered with the kernel bounds; metadata moves go through the TS helper', () => {
  const f = fixture();
  const offsets = [-300n, -257n, -256n, -216n, -215n, -214n, -14n, -4n, 0n, 4n, 14n, 36n, 49n, 50n, 51n, 3000n, I32_MIN, I32_MAX, 0x1_0000_0000n, 0xffff_ffff_0000_0010n];
  for (const shape of [{ len: 64 }, { len: 64, meta: 8 }, { len: 64, headShift: -216 }, { len: 14 }]) {
    for (const off of offsets) {
      const calls = compare(f, XdpHelperId.XDP_ADJUST_HEAD, shape, [0n, neg(off), 0n, 0n, 0n]);
      assert.equal(calls, shape.meta ? 1 : 0);
      assert.equal(compare(f, XdpHelperId.XDP_ADJUST_META, shape, [0n, neg(off), 0n, 0n, 0n]), 0);
    }
    for (const off of [-3n, -8n, -32n, -36n, -40n, -12n, 8n]) {
      assert.equal(compare(f, XdpHelperId.XDP_ADJUST_META, shape, [0n, neg(off), 0n, 0n, 0n]), 0);
    }
  }
});

test('bpf_xdp_adjust_tail lowered on linear frames (grown bytes zeroed), fragments through the TS helper', () => {
  const f = fixture();
  const offsets = [-51n, -50n, -49n, -10n, 0n, 10n, 255n, 256n, 3456n, 3457n, 3520n, I32_MIN, I32_MAX, 0x1_0000_0001n];
  for (const shape of [{ len: 64 }, { len: 3520 }, { len: 64, frag: 100 }, { len: 14 }]) {
    for (const off of offsets) {
      const calls = compare(f, XdpHelperId.XDP_ADJUST_TAIL, shape, [0n, neg(off), 0n, 0n, 0n]);
      assert.equal(calls, shape.frag ? 1 : 0);
    }
  }
});

test('bpf_xdp_get_buff_len / load_bytes / store_bytes lowered: linear copies in wasm, the rest as the TS helper does', () => {
  const f = fixture();
  for (const shape of [{ len: 64 }, { len: 200, frag: 300 }]) {
    assert.equal(compare(f, XdpHelperId.XDP_GET_BUFF_LEN, shape, [0n, 0n, 0n, 0n, 0n]), 0);
    for (const id of [XdpHelperId.XDP_LOAD_BYTES, XdpHelperId.XDP_STORE_BYTES]) {
      for (const [off, len] of [[0n, 0n], [0n, 14n], [3n, 17n], [0n, 64n], [50n, 14n], [50n, 15n], [60n, 8n], [190n, 20n], [199n, 1n], [0n, 0x10000n], [0x10000n, 1n], [0x1_0000_0000n, 4n], [0n, 500n]]) {
        const lo = off & 0xffffffffn;
        const fast = lo <= 0xffffn && len <= 0xffffn && lo + len <= 200n && (shape.frag !== undefined || lo + len <= BigInt(shape.len));
        const calls = compare(f, id, shape, [0n, off, BigInt(f.buf), len, 0n]);
        assert.equal(calls, fast ? 0 : 1, `helper ${id} off ${off} len ${len}`);
      }
      // A buffer overlapping the packet bytes (memmove semantics in the TS helper).
      const data = BigInt(f.slot + XDP_PACKET_HEADROOM);
      assert.equal(compare(f, id, shape, [0n, 4n, data + 10n, 20n, 0n]), 1);
      assert.equal(compare(f, id, shape, [0n, 4n, data + 24n, 20n, 0n]), 0);
    }
  }
});
