/**
 * Register states (the kernel's `struct bpf_reg_state` / `enum bpf_reg_type`, reduced to what an XDP
 * program can hold). A pointer is `base + off + var`: `off` is the fixed offset the kernel folds
 * constants into, `s` the variable part as a scalar. For a scalar, `s` is its value.
 */
import type { MapSpec } from '../../ebpf/object-spec.js';
import { type Scalar, isConst, scalarConst, scalarEquals, scalarString, scalarUnknown, scalarWithin } from './scalar.js';

export type RegType =
  | 'not_init'
  | 'scalar'
  | 'ctx'                   // PTR_TO_CTX: struct xdp_md
  | 'pkt'                   // PTR_TO_PACKET: data + ...
  | 'pkt_meta'              // PTR_TO_PACKET_META
  | 'pkt_end'               // PTR_TO_PACKET_END
  | 'stack'                 // PTR_TO_STACK of call frame `frame`
  | 'map_ptr'               // CONST_PTR_TO_MAP
  | 'map_ptr_or_null'       // inner map from a map-in-map lookup
  | 'map_value'             // PTR_TO_MAP_VALUE
  | 'map_value_or_null'
  | 'ringbuf_mem'           // PTR_TO_MEM | MEM_RINGBUF, a reference that must be released
  | 'ringbuf_mem_or_null'
  | 'mem'                   // PTR_TO_MEM of `size` bytes: a global function's pointer parameter
  | 'mem_or_null'
  | 'map_key'               // PTR_TO_MAP_KEY: a bpf_for_each_map_elem callback's key (read-only)
  | 'func_ptr';             // PTR_TO_FUNC: a callback; `off` is the function's first instruction

export interface Reg {
  readonly t: RegType;
  /** Scalar value, or the pointer's variable offset. */
  readonly s: Scalar;
  /** Fixed offset of a pointer. */
  readonly off: number;
  /**
   * Pointer identity: packet pointers sharing a variable offset share `id` (and their proven range);
   * `*_or_null` copies of one helper result share it so one null check settles them all; scalars
   * copied by MOV share it so a bound learned on one holds for all (kernel: find_equal_scalars).
   */
  readonly id: number;
  /** Packet pointers: bytes [base, base + range) are proven inside the packet (base = the id's var offset). */
  readonly range: number;
  /** map_ptr / map_value: the map. */
  readonly map: MapSpec | null;
  /** ringbuf_mem: size of the reservation. */
  readonly size: number;
  /** ringbuf_mem: the reference (acquired in `State.refs`) this pointer holds. */
  readonly ref: number;
  /** stack: the call frame whose stack it points into. */
  readonly frame: number;
}

const BASE: Reg = Object.freeze({
  t: 'not_init', s: scalarConst(0n), off: 0, id: 0, range: 0, map: null, size: 0, ref: 0, frame: 0,
});

export const NOT_INIT: Reg = BASE;
const UNKNOWN_SCALAR: Reg = Object.freeze({ ...BASE, t: 'scalar', s: scalarUnknown() });
export const unknownScalar = (): Reg => UNKNOWN_SCALAR;
// Written out field by field: an object spread per register written was a measurable share of verify time.
export const scalarReg = (s: Scalar): Reg => ({ t: 'scalar', s, off: 0, id: 0, range: 0, map: null, size: 0, ref: 0, frame: 0 });

/** Registers are immutable values: a constant's register is built once per constant (see scalarConst). */
const constRegs = new Map<Scalar, Reg>();
export const constReg = (v: bigint): Reg => {
  const s = scalarConst(v);
  let r = constRegs.get(s);
  if (!r) {
    if (constRegs.size >= 4096) constRegs.clear();
    r = Object.freeze(scalarReg(s));
    constRegs.set(s, r);
  }
  return r;
};
export const pointerReg = (t: RegType, fields: Partial<Reg> = {}): Reg => ({ ...BASE, t, ...fields });

export const isPointer = (r: Reg): boolean => r.t !== 'scalar' && r.t !== 'not_init';
export const isPktAny = (r: Reg): boolean => r.t === 'pkt' || r.t === 'pkt_meta';
export const isMaybeNull = (r: Reg): boolean => r.t.endsWith('_or_null');
export const nonNullType = (t: RegType): RegType => t.replace('_or_null', '') as RegType;

/** Kernel-style name of a register type, as it appears in verifier messages. */
export function typeName(t: RegType): string {
  switch (t) {
    case 'not_init': return 'uninit';
    case 'scalar': return 'scalar';
    case 'ctx': return 'ctx';
    case 'pkt': return 'pkt';
    case 'pkt_meta': return 'pkt_meta';
    case 'pkt_end': return 'pkt_end';
    case 'stack': return 'fp';
    case 'map_ptr': return 'map_ptr';
    case 'map_ptr_or_null': return 'map_ptr_or_null';
    case 'map_value': return 'map_value';
    case 'map_value_or_null': return 'map_value_or_null';
    case 'ringbuf_mem': return 'ringbuf_mem';
    case 'ringbuf_mem_or_null': return 'ringbuf_mem_or_null';
    case 'map_key': return 'map_key';
    case 'mem': return 'mem';
    case 'mem_or_null': return 'mem_or_null';
    case 'func_ptr': return 'func';
  }
}

/** One register as the kernel's log prints it: `pkt(off=14,r=14)`, `fp-8`, `map_value(map=counts,ks=4,vs=8)`. */
export function regString(r: Reg): string {
  if (r.t === 'not_init') return '?';
  if (r.t === 'scalar') return r.s.var.mask === 0n ? `${BigInt.asIntN(64, r.s.var.value)}` : scalarString(r.s);
  if (r.t === 'stack' && isConst(r.s)) {
    const o = r.off + Number(BigInt.asIntN(64, r.s.var.value));
    return r.frame === 0 ? `fp${o}` : `fp[${r.frame}]${o}`;
  }
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}`);
  if (r.ref) parts.push(`ref_obj_id=${r.ref}`);
  if (r.off) parts.push(`off=${r.off}`);
  if (r.t === 'pkt' || r.t === 'pkt_meta') parts.push(`r=${r.range}`);
  if (r.map) parts.push(`map=${r.map.name}`, `ks=${r.map.keySize}`, `vs=${r.map.valueSize}`);
  if (r.size) parts.push(`size=${r.size}`);
  if (!isConst(r.s) || r.s.var.value !== 0n) parts.push(`var=${scalarString(r.s)}`);
  return `${typeName(r.t)}${parts.length ? `(${parts.join(',')})` : ''}`;
}

/**
 * Identity maps for pruning (the kernel's check_ids): an id in the old state must correspond to
 * exactly one id in the current state and vice versa, so relations between registers carry over.
 */
export class IdMap {
  // Created on the first pair: most comparisons see no ids at all, and they run at every checkpoint.
  private fwd: Map<number, number> | undefined;
  private bwd: Map<number, number> | undefined;
  check(oldId: number, curId: number): boolean {
    if (oldId === 0 && curId === 0) return true;
    if (oldId === 0 || curId === 0) return false;
    if (!this.fwd || !this.bwd) {
      this.fwd = new Map([[oldId, curId]]);
      this.bwd = new Map([[curId, oldId]]);
      return true;
    }
    const f = this.fwd.get(oldId);
    const b = this.bwd.get(curId);
    if (f === undefined && b === undefined) {
      this.fwd.set(oldId, curId);
      this.bwd.set(curId, oldId);
      return true;
    }
    return f === curId && b === oldId;
  }
}

/**
 * `old` covers `cur`: any continuation that was safe from `old` is safe from `cur` (kernel regsafe).
 * An old register that was never initialised covers anything (it could not have been read).
 */
export function regCovers(old: Reg, cur: Reg, ids: IdMap, exact: boolean): boolean {
  if (old.t === 'not_init') return exact ? cur.t === 'not_init' : true;
  if (old.t !== cur.t) return false;
  if (old.t === 'scalar') {
    // Linked scalars matter only where the old state relied on the link.
    if (old.id !== 0 && !ids.check(old.id, cur.id)) return false;
    return exact ? scalarEquals(old.s, cur.s) : scalarWithin(old.s, cur.s);
  }
  if (old.off !== cur.off || old.map !== cur.map || old.frame !== cur.frame || old.size !== cur.size) return false;
  if (!(exact ? scalarEquals(old.s, cur.s) : scalarWithin(old.s, cur.s))) return false;
  if (old.t === 'pkt' || old.t === 'pkt_meta') {
    if (exact ? old.range !== cur.range : old.range > cur.range) return false;
  }
  if (!ids.check(old.id, cur.id)) return false;
  if (!ids.check(old.ref, cur.ref)) return false;
  return true;
}
