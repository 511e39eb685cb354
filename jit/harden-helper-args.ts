/**
 * `--harden` for the helpers reached through the trampoline (design.md §2): the JIT confines the program's
 * own loads and stores to their objects (jit/harden.ts), but a helper reads and writes memory the program
 * names through its pointer arguments. Before a hardened instance runs a helper, every memory argument
 * (per the prototype in src/ebpf/helpers.ts, with its size from the next argument, the map's key or value
 * size, or the kind's fixed size) must lie inside one object the program may touch: the running frame's
 * packet [data_meta, slot end), this CPU's eBPF stack, the ctx, or the value storage of one of the
 * runtime's maps. One that does not fails the frame, as a hardened access whose object the JIT could not
 * name traps (jit/harden.ts).
 */
import { helperById, type ArgKind } from '../src/ebpf/helpers.js';
import { Desc, FRAME_SLOT_SIZE, STACK_TOP, XDP_MD_SIZE } from '../src/vm/arena-layout.js';
import { MapHdr } from '../src/vm/maps/map-header.js';
import type { BpfMap } from '../src/vm/maps/bpf-map.js';
import type { Region } from './harden.js';

/** Each map's value storage by header address: the map objects a hardened helper argument may lie in. */
export function mapValueObjects(maps: Iterable<BpfMap>): Map<number, Region> {
  const out = new Map<number, Region>();
  for (const m of maps) out.set(m.addr, { start: m.valueStart, end: m.valueEnd });
  return out;
}

/** Bytes argument `n` (1-based) of kind `kind` covers, or undefined for a kind that is no memory argument. */
function argSize(kind: ArgKind, n: number, regs: Uint32Array, u32: Uint32Array, mapValues: ReadonlyMap<number, Region>): number | undefined {
  const next = (): number => (regs[2 * (n + 1) + 1] !== 0 ? Infinity : regs[2 * (n + 1)]!);
  const mapField = (field: number): number | undefined => {
    // The map is the first argument of every helper taking a key or value pointer.
    const map = regs[2];
    return map !== undefined && mapValues.has(map) ? u32[(map + field) >>> 2] : undefined;
  };
  switch (kind) {
    case 'mem': case 'rw_mem': case 'uninit_mem': case 'mem_or_null': return next();
    case 'map_key': return mapField(MapHdr.KEY_SIZE);
    case 'map_value': case 'uninit_map_value': return mapField(MapHdr.VALUE_SIZE);
    case 'u32_ptr': case 'spin_lock': return 4;
    case 'long_ptr': return 8;
    default: return undefined;
  }
}

const inside = (addr: number, size: number, start: number, end: number): boolean => addr >= start && size <= end - start && addr - start <= end - start - size;

/**
 * Why helper `id`'s memory arguments (in `regs`, RegHalves) leave every object the program may touch, or
 * undefined when they all lie inside one. `desc` is the running frame, `stackTop` this CPU's r10 of the
 * outermost frame.
 */
export function helperArgViolation(
  id: number, regs: Uint32Array, u32: Uint32Array, desc: number, stackTop: number, mapValues: ReadonlyMap<number, Region>,
): string | undefined {
  const proto = helperById(id);
  if (proto === undefined) return undefined;
  for (let i = 0; i < proto.args.length; i++) {
    const n = i + 1;
    const kind = proto.args[i]!;
    const size = argSize(kind, n, regs, u32, mapValues);
    if (size === undefined || size === 0) continue;
    const addr = regs[2 * n]!;
    if (kind === 'mem_or_null' && addr === 0 && regs[2 * n + 1] === 0) continue;
    if (regs[2 * n + 1] !== 0) return `argument ${n} (${kind}) 0x${regs[2 * n + 1]!.toString(16)}${addr.toString(16).padStart(8, '0')} is outside the arena`;
    const objects: [number, number][] = [
      [u32[(desc + Desc.DATA_META) >>> 2]!, u32[(desc + Desc.SLOT) >>> 2]! + FRAME_SLOT_SIZE],
      [stackTop - STACK_TOP, stackTop],
      [desc, desc + XDP_MD_SIZE],
    ];
    for (const r of mapValues.values()) objects.push([r.start, r.end]);
    if (!objects.some(([s, e]) => inside(addr, size, s, e))) {
      return `argument ${n} (${kind}) [0x${addr.toString(16)}, +${size}) lies in no object the program may touch`;
    }
  }
  return undefined;
}
