/**
 * Proving memory accesses and computing what they load/store, per pointer type (the kernel's
 * check_mem_access and its per-type helpers: check_packet_access, check_stack_{read,write}_*,
 * check_map_access, check_ctx_access / xdp_is_valid_access, check_mem_region_access).
 */
import { MapFlag, type MapSpec } from '../../ebpf/object-spec.js';
import { SPIN_LOCK_SIZE } from './spin-lock.js';
import { XDP_MD_SIZE } from '../../vm/arena-layout.js';
import { RuleViolation } from '../errors.js';
import type { AccessMode } from '../assertions.js';
import { type Reg, NOT_INIT, constReg, isPointer, pointerReg, regString, scalarReg, typeName } from './reg.js';
import { isConst, scalarOfSize, signExtend, scalarUnknown } from './scalar.js';
import { type Frame, type State, STACK_SIZE, Slot } from './state.js';

/** BPF_MAX_VAR_OFF: variable offsets must stay within ±2^29. */
export const MAX_VAR_OFF = 1 << 29;
/** MAX_PACKET_OFF: a packet is at most 64 KiB. */
export const MAX_PACKET_OFF = 0xffff;

export type RegionKind = 'packet' | 'packet_meta' | 'stack' | 'map' | 'ctx' | 'mem';

/** What the JIT may know about one memory instruction (facts are joined over all paths). */
export interface AccessFact {
  readonly region: RegionKind;
  /** Constant offset from the object's base where the pointer's variable part is constant. */
  readonly offset?: number;
}

export interface AccessEnv {
  readonly strict: boolean;
  readonly progKind: string;
  /** Offset of the map value's bpf_spin_lock, if it has one (plain accesses to it are refused). */
  spinLock(map: MapSpec): number | undefined;
  /** Deepest stack byte touched, per call frame's function (for the combined-depth rule). */
  noteStackDepth(funcStart: number, depth: number): void;
}

export interface AccessResult {
  readonly fact: AccessFact;
  /** For reads: the loaded value (before sign extension by LDSX, which the caller applies). */
  readonly loaded?: Reg;
}

const signed = (s: bigint): number => Number(BigInt.asIntN(64, s));

/** xdp_md field → the register type its 4-byte load yields. */
const CTX_FIELD_TYPES: Readonly<Record<number, Reg['t']>> = { 0: 'pkt', 4: 'pkt_end', 8: 'pkt_meta' };
const CTX_FIELD_NAMES = ['data', 'data_end', 'data_meta', 'ingress_ifindex', 'rx_queue_index', 'egress_ifindex'];

export function checkAccess(
  state: State, env: AccessEnv, regNo: number, insnOff: number, size: number, mode: AccessMode, value: Reg | undefined,
): AccessResult {
  const reg = state.cur.regs[regNo]!;
  const R = `R${regNo}`;
  switch (reg.t) {
    case 'not_init':
      throw new RuleViolation(`${R} !read_ok`, `${R} is used before anything was assigned to it`);
    case 'scalar':
      throw new RuleViolation(`${R} invalid mem access 'scalar'`,
        `${R} holds a number, not a pointer: only pointers from ctx, the stack, a map lookup or a ring buffer reservation can be dereferenced`);
    case 'pkt_end':
    case 'func_ptr':
    case 'map_ptr':
      throw new RuleViolation(`${R} invalid mem access '${typeName(reg.t)}'`,
        reg.t === 'pkt_end' ? 'data_end marks the end of the packet and cannot be dereferenced; compare pointers against it instead' : 'a map pointer is only an argument for map helpers');
    case 'map_value_or_null':
    case 'ringbuf_mem_or_null':
    case 'mem_or_null':
    case 'map_ptr_or_null':
      throw new RuleViolation(`${R} invalid mem access '${typeName(reg.t)}'`,
        `${R} may be NULL: check it (if (!p) ...) before dereferencing it`);
    case 'ctx':
      return ctxAccess(reg, R, insnOff, size, mode, env);
    case 'pkt':
    case 'pkt_meta':
      return packetAccess(reg, R, insnOff, size, mode, value, env);
    case 'stack':
      return stackAccess(state, reg, R, insnOff, size, mode, value, env);
    case 'map_value':
      return mapAccess(reg, R, insnOff, size, mode, value, env);
    case 'ringbuf_mem':
    case 'mem':
      return memAccess(reg, R, insnOff, size, mode, value, env);
    case 'map_key': {
      if (mode !== 'read') throw new RuleViolation(`${R} cannot write into map_key`, 'the key a bpf_for_each_map_elem callback receives is read-only');
      const o = boundsCheck(reg, R, insnOff, size, reg.map!.keySize, 'memory', '(map key)');
      return { fact: o >= 0 ? { region: 'map', offset: o } : { region: 'map' }, loaded: scalarReg(scalarOfSize(size)) };
    }
  }
}

function leakCheck(env: AccessEnv, value: Reg | undefined, where: string, valueReg: string): void {
  if (env.strict && value && isPointer(value)) {
    throw new RuleViolation(`${valueReg} leaks addr into ${where}`, 'storing a pointer into memory readable outside the program needs CAP_PERFMON (not in --strict mode)');
  }
}

function ctxAccess(reg: Reg, R: string, insnOff: number, size: number, mode: AccessMode, env: AccessEnv): AccessResult {
  if (reg.off !== 0 || !isConst(reg.s) || reg.s.var.value !== 0n) {
    throw new RuleViolation(`dereference of modified ctx ptr ${R} off=${reg.off} disallowed`,
      'access xdp_md fields through the unmodified ctx pointer (ctx->field), not through ctx + offset');
  }
  const off = insnOff;
  if (mode !== 'read') {
    throw new RuleViolation(`invalid bpf_context access off=${off} size=${size}`, 'struct xdp_md is read-only for XDP programs');
  }
  const fieldOk = off >= 0 && off < XDP_MD_SIZE && off % size === 0 && size === 4
    && !(off === 20 && env.progKind !== 'xdp/devmap');
  if (!fieldOk) {
    const field = off >= 0 && off < XDP_MD_SIZE && off % 4 === 0 ? CTX_FIELD_NAMES[off / 4] : undefined;
    const hint = off === 20 && env.progKind !== 'xdp/devmap'
      ? 'egress_ifindex is readable only by programs in SEC("xdp/devmap")'
      : field ? `xdp_md.${field} is a u32: load it with a 4-byte load` : `struct xdp_md has 6 u32 fields (bytes 0..23): offset ${off} is not one of them`;
    throw new RuleViolation(`invalid bpf_context access off=${off} size=${size}`, hint);
  }
  const t = CTX_FIELD_TYPES[off];
  return { fact: { region: 'ctx', offset: off }, loaded: t ? pointerReg(t) : scalarReg(scalarOfSize(4)) };
}

function packetAccess(reg: Reg, R: string, insnOff: number, size: number, mode: AccessMode, value: Reg | undefined, env: AccessEnv): AccessResult {
  const meta = reg.t === 'pkt_meta';
  if (mode === 'atomic') throw new RuleViolation(`BPF_ATOMIC stores into ${R} pkt is not allowed`, 'atomic operations work on the stack and map values only');
  if (reg.s.r64.smin < 0n) {
    throw new RuleViolation(`${R} min value is negative, either use unsigned index or do a if (index >=0) check.`,
      'the variable offset added to the packet pointer may be negative: bound it from below or make it unsigned');
  }
  const off = insnOff + reg.off;
  if (off < 0 || off + size > reg.range) {
    const base = meta ? 'data_meta' : 'data';
    const end = meta ? 'data' : 'data_end';
    const what = mode === 'read' ? 'load reads' : 'store writes';
    const from = reg.id === 0 ? `${base} + ${off + size} <= ${end}` : `${R} + ${insnOff + size} <= ${end} (after the variable offset is added)`;
    throw new RuleViolation(
      `invalid access to packet, off=${off} size=${size}, ${R}(id=${reg.id},off=${reg.off},r=${reg.range})`,
      off < 0 ? `the access starts ${-off} bytes before ${base}`
        : `${R} is a packet pointer with range ${reg.range}, the ${what} bytes ${off}..${off + size - 1}: add a check that ${from} before this line`,
      reg.id === 0 && off >= 0 ? `a packet of ${Math.max(reg.range, off + size - 1)} bytes${meta ? ' of metadata' : ''} taking this path` : undefined,
    );
  }
  if (mode === 'write') leakCheck(env, value, 'packet', 'value');
  const constVar = isConst(reg.s) ? signed(reg.s.var.value) : undefined;
  const fact: AccessFact = constVar === undefined ? { region: meta ? 'packet_meta' : 'packet' } : { region: meta ? 'packet_meta' : 'packet', offset: constVar + off };
  return { fact, loaded: mode === 'read' ? scalarReg(scalarOfSize(size)) : undefined };
}

function boundsCheck(reg: Reg, R: string, insnOff: number, size: number, limit: number, what: string, hint: string): number {
  const off = insnOff + reg.off;
  const smin = reg.s.r64.smin;
  const umax = reg.s.r64.umax;
  if (isConst(reg.s)) {
    const o = off + signed(reg.s.var.value);
    if (o < 0 || o + size > limit) {
      throw new RuleViolation(`invalid access to ${what}, ${what === 'map value' ? 'value_size' : 'mem_size'}=${limit} off=${o} size=${size}`,
        `${R} points ${o} bytes into a ${limit}-byte ${what}; the access of ${size} bytes must fit inside it. ${hint}`);
    }
    return o;
  }
  if (smin <= -BigInt(MAX_VAR_OFF) || umax >= BigInt(MAX_VAR_OFF)) {
    throw new RuleViolation(`${R} unbounded memory access, make sure to bounds check any such access`,
      `bound the index added to ${R} (if (i < N) or i &= N-1) so that ${R} stays inside the ${limit}-byte ${what}`);
  }
  if (smin + BigInt(off) < 0n) {
    throw new RuleViolation(`${R} min value is outside of the allowed memory range`,
      `the index added to ${R} may be negative (min ${smin}): make it unsigned or check it is >= 0`,
      `an index of ${smin} taking this path`);
  }
  if (umax + BigInt(off + size) > BigInt(limit)) {
    throw new RuleViolation(`${R} max value is outside of the allowed memory range`,
      `the index added to ${R} may be up to ${umax}; ${R} + ${off} + ${size} must stay <= ${limit}: check the index is < ${limit - off - size + 1}`,
      `an index of ${umax} taking this path`);
  }
  return -1;
}

function mapAccess(reg: Reg, R: string, insnOff: number, size: number, mode: AccessMode, value: Reg | undefined, env: AccessEnv): AccessResult {
  const map = reg.map!;
  if (mode !== 'read' && (map.flags & MapFlag.RDONLY_PROG) !== 0) {
    throw new RuleViolation(`write into map forbidden, value_size=${map.valueSize} off=${insnOff + reg.off} size=${size}`,
      `${map.name} is read-only for programs (const data or BPF_F_RDONLY_PROG)`);
  }
  const o = boundsCheck(reg, R, insnOff, size, map.valueSize, 'map value', `(${map.name}: value_size ${map.valueSize})`);
  const lock = env.spinLock(map);
  if (lock !== undefined) {
    const lo = o >= 0 ? o : insnOff + reg.off + Number(reg.s.r64.smin);
    const hi = o >= 0 ? o + size : insnOff + reg.off + Number(reg.s.r64.umax) + size;
    if (lo < lock + SPIN_LOCK_SIZE && hi > lock) {
      throw new RuleViolation('bpf_spin_lock cannot be accessed directly by load/store', `bytes ${lock}..${lock + 3} of ${map.name}'s value are its bpf_spin_lock: use bpf_spin_lock/bpf_spin_unlock`);
    }
  }
  if (mode !== 'read') leakCheck(env, value, 'map', 'value');
  let loaded: Reg | undefined;
  if (mode === 'read') {
    loaded = scalarReg(scalarOfSize(size));
    // A frozen read-only map's bytes are known at verification (kernel: bpf_map_direct_read).
    const data = map.initialData;
    if (o >= 0 && (map.flags & MapFlag.RDONLY_PROG) !== 0 && data && o + size <= data.length) {
      let v = 0n;
      for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[o + i]!);
      loaded = constReg(v);
    }
  }
  return { fact: o >= 0 ? { region: 'map', offset: o } : { region: 'map' }, loaded };
}

function memAccess(reg: Reg, R: string, insnOff: number, size: number, mode: AccessMode, value: Reg | undefined, env: AccessEnv): AccessResult {
  const o = boundsCheck(reg, R, insnOff, size, reg.size, 'memory', reg.t === 'mem' ? '(a global function\'s pointer argument)' : '(ring buffer reservation)');
  if (mode !== 'read') leakCheck(env, value, 'mem', 'value');
  return { fact: o >= 0 ? { region: 'mem', offset: o } : { region: 'mem' }, loaded: mode === 'read' ? scalarReg(scalarOfSize(size)) : undefined };
}

// ---- stack ------------------------------------------------------------------------------------

function stackAccess(
  state: State, reg: Reg, R: string, insnOff: number, size: number, mode: AccessMode, value: Reg | undefined, env: AccessEnv,
): AccessResult {
  const frame = state.frames[reg.frame]!;
  const fixed = insnOff + reg.off;
  let lo: number;
  let hi: number;
  if (isConst(reg.s)) {
    lo = fixed + signed(reg.s.var.value);
    hi = lo;
  } else {
    if (reg.s.r64.smin <= -BigInt(MAX_VAR_OFF) || reg.s.r64.smax >= BigInt(MAX_VAR_OFF)) {
      throw new RuleViolation(`invalid unbounded variable-offset ${mode === 'read' ? 'read from' : 'write to'} stack ${R}`,
        `bound the index added to ${R} so the access stays inside the 512-byte stack`);
    }
    lo = fixed + Number(reg.s.r64.smin);
    hi = fixed + Number(reg.s.r64.smax);
  }
  if (lo < -STACK_SIZE || hi + size > 0) {
    throw new RuleViolation(`invalid ${mode === 'read' ? 'read from' : 'write to'} stack ${R} off=${lo === hi ? lo : `${lo}..${hi}`} size=${size}`,
      `the stack is the 512 bytes below r10: offsets -512..-1; this access covers ${lo}..${hi + size - 1}`);
  }
  // Stack accesses must be aligned to their size (kernel: check_ptr_alignment, strict for PTR_TO_STACK).
  const lowBits = BigInt(size - 1);
  const align = ((reg.s.var.value | reg.s.var.mask) + BigInt(fixed + 1024 * 1024)) & lowBits;
  if ((reg.s.var.mask & lowBits) !== 0n || align !== 0n) {
    throw new RuleViolation(`misaligned stack access off ${regString(reg)}+${insnOff} size ${size}`,
      `a ${size}-byte stack access needs an offset that is a multiple of ${size}`);
  }
  env.noteStackDepth(frame.funcStart, -lo);
  const fact: AccessFact = lo === hi ? { region: 'stack', offset: lo } : { region: 'stack' };
  if (lo !== hi) return { fact, loaded: varStackAccess(frame, R, lo, hi + size, mode, value, env) };
  if (mode === 'read') return { fact, loaded: stackRead(frame, lo, size, env) };
  if (mode === 'atomic') {
    stackRead(frame, lo, size, env);
    stackWrite(frame, lo, size, undefined, env);
    return { fact };
  }
  stackWrite(frame, lo, size, value, env);
  return { fact };
}

const idx = (off: number): number => STACK_SIZE + off;

function stackRead(frame: Frame, off: number, size: number, env: AccessEnv): Reg {
  const i0 = idx(off);
  const spill = frame.spills[i0 >> 3];
  let allSpill = true;
  for (let i = i0; i < i0 + size; i++) if (frame.slots[i] !== Slot.SPILL) allSpill = false;
  if (size === 8 && (i0 & 7) === 0 && spill && allSpill) return spill;
  let allZero = true;
  for (let i = i0; i < i0 + size; i++) {
    const k = frame.slots[i]!;
    if (k === Slot.INVALID) {
      if (env.strict) {
        throw new RuleViolation(`invalid read from stack off ${off}+${i - i0} size ${size}`,
          'the stack bytes read were never written; initialise them (e.g. = {} or memset) before reading them, or pass them to a helper that fills them');
      }
      allZero = false;
    } else if (k === Slot.SPILL) {
      const sp = frame.spills[i >> 3]!;
      if (isPointer(sp)) {
        throw new RuleViolation('invalid size of register fill', `a spilled pointer must be reloaded with one 8-byte load at its slot`);
      }
      allZero = allZero && isConst(sp.s) && sp.s.var.value === 0n;
    } else if (k !== Slot.ZERO) allZero = false;
  }
  if (allZero) return constReg(0n);
  // The low bytes of a spilled scalar that fits in them are that scalar (little-endian); this is also how a
  // narrow (<8-byte) spill is refilled (kernel: <8-byte scalar spill and refill).
  if (spill && allSpill && (i0 & 7) === 0 && spill.s.r64.umax < (1n << BigInt(size * 8))) return spill;
  return scalarReg(scalarOfSize(size));
}

function scrubSpill(frame: Frame, slot: number, env: AccessEnv): void {
  const sp = frame.spills[slot];
  if (!sp) return;
  if (env.strict && isPointer(sp)) {
    throw new RuleViolation('attempt to corrupt spilled pointer on stack', 'overwrite a spilled pointer only with a full 8-byte store (strict mode)');
  }
  frame.own();
  frame.spills[slot] = null;
  for (let i = slot * 8; i < slot * 8 + 8; i++) if (frame.slots[i] === Slot.SPILL) frame.slots[i] = Slot.MISC;
}

function stackWrite(frame: Frame, off: number, size: number, value: Reg | undefined, env: AccessEnv): void {
  const i0 = idx(off);
  frame.own();
  if (size === 8 && value && value.t !== 'not_init') {
    frame.spills[i0 >> 3] = value;
    frame.slots.fill(Slot.SPILL, i0, i0 + 8);
    return;
  }
  for (let s = i0 >> 3; s <= (i0 + size - 1) >> 3; s++) scrubSpill(frame, s, env);
  const zero = value !== undefined && value.t === 'scalar' && isConst(value.s) && (value.s.var.value & ((1n << BigInt(size * 8)) - 1n)) === 0n;
  if (!zero && (i0 & 7) === 0 && value && value.t === 'scalar' && value.s.r64.umax < (1n << BigInt(size * 8))) {
    // A narrow spill at the start of a slot of a scalar that fits: its bytes keep the register.
    frame.spills[i0 >> 3] = value;
    frame.slots.fill(Slot.SPILL, i0, i0 + size);
    return;
  }
  frame.slots.fill(zero ? Slot.ZERO : Slot.MISC, i0, i0 + size);
}

function varStackAccess(frame: Frame, R: string, lo: number, hiEnd: number, mode: AccessMode, value: Reg | undefined, env: AccessEnv): Reg | undefined {
  for (let i = idx(lo); i < idx(hiEnd); i++) {
    const k = frame.slots[i]!;
    if (k === Slot.INVALID && env.strict) {
      throw new RuleViolation(`invalid variable-offset ${mode === 'read' ? 'read from' : 'write to'} stack ${R}, uninit stack in range`,
        'every byte the variable-offset access might touch must be initialised first (strict mode)');
    }
    if (k === Slot.SPILL && isPointer(frame.spills[i >> 3]!)) {
      if (env.strict) throw new RuleViolation(`${R} variable-offset stack access may touch a spilled pointer`, 'keep pointers out of the range indexed by a variable offset');
    }
  }
  if (mode === 'read') return scalarReg(scalarUnknown());
  if (mode === 'write' && value && isPointer(value) && env.strict) {
    throw new RuleViolation('spilled ptr in range of var-offset stack write', 'store pointers to the stack at constant offsets');
  }
  frame.own();
  for (let s = idx(lo) >> 3; s <= (idx(hiEnd) - 1) >> 3; s++) {
    const sp = frame.spills[s];
    if (sp) { frame.spills[s] = null; for (let i = s * 8; i < s * 8 + 8; i++) if (frame.slots[i] === Slot.SPILL) frame.slots[i] = Slot.MISC; }
  }
  for (let i = idx(lo); i < idx(hiEnd); i++) if (frame.slots[i] !== Slot.ZERO || mode !== 'write' || !(value && isConst(value.s) && value.s.var.value === 0n)) frame.slots[i] = Slot.MISC;
  return undefined;
}

/**
 * A helper reads or writes `size` bytes at a pointer argument (kernel: check_helper_mem_access).
 * `write`: the bytes become initialised after the call. Returns the access fact.
 */
export function checkHelperMem(state: State, env: AccessEnv, regNo: number, size: number, maxSize: number, write: boolean, what: string): void {
  const reg = state.cur.regs[regNo]!;
  if (size === 0 && maxSize === 0) return;
  const R = `R${regNo}`;
  switch (reg.t) {
    case 'stack': {
      const frame = state.frames[reg.frame]!;
      if (!isConst(reg.s)) {
        if (reg.s.r64.smin <= -BigInt(MAX_VAR_OFF) || reg.s.r64.smax >= BigInt(MAX_VAR_OFF)) throw new RuleViolation(`${R} unbounded indirect variable offset stack access`, 'bound the offset');
      }
      const lo = reg.off + Number(reg.s.r64.smin);
      const hi = reg.off + Number(reg.s.r64.smax) + maxSize;
      if (lo < -STACK_SIZE || hi > 0) {
        throw new RuleViolation(`invalid indirect access to stack ${R} off=${lo} size=${maxSize}`,
          `${what}: the helper accesses ${maxSize} bytes at ${lo}, past the 512-byte stack`);
      }
      env.noteStackDepth(frame.funcStart, -lo);
      for (let i = idx(lo); i < idx(hi); i++) {
        const k = frame.slots[i]!;
        if (write) continue;
        if (k === Slot.INVALID && env.strict) {
          throw new RuleViolation(`invalid indirect read from stack ${R} off ${lo}+${i - idx(lo)} size ${maxSize}`,
            `${what}: the helper reads stack bytes that were never written; initialise the whole buffer first`);
        }
        if (k === Slot.SPILL && isPointer(frame.spills[i >> 3]!) && env.strict) {
          throw new RuleViolation(`${R} leaks addr into helper function`, `${what}: the buffer contains a spilled pointer`);
        }
      }
      if (write) {
        frame.own();
        for (let s = idx(lo) >> 3; s <= (idx(hi) - 1) >> 3; s++) {
          if (frame.spills[s]) { frame.spills[s] = null; for (let i = s * 8; i < s * 8 + 8; i++) if (frame.slots[i] === Slot.SPILL) frame.slots[i] = Slot.MISC; }
        }
        frame.slots.fill(Slot.MISC, idx(lo), idx(hi));
      }
      return;
    }
    case 'pkt':
    case 'pkt_meta': {
      const r = { ...reg, off: reg.off };
      if (maxSize > 0) packetAccess(r, R, 0, maxSize, write ? 'write' : 'read', undefined, env);
      return;
    }
    case 'map_value':
      if (maxSize > 0) mapAccess(reg, R, 0, maxSize, write ? 'write' : 'read', undefined, env);
      return;
    case 'ringbuf_mem':
    case 'mem':
      if (maxSize > 0) memAccess(reg, R, 0, maxSize, write ? 'write' : 'read', undefined, env);
      return;
    case 'map_key':
      if (maxSize > 0) checkAccess(state, env, regNo, 0, maxSize, write ? 'write' : 'read', undefined);
      return;
    default:
      throw new RuleViolation(`${R} type=${typeName(reg.t)} expected=fp, pkt, pkt_meta, map_value, mem`,
        `${what}: pass a pointer to the stack, the packet (after a bounds check) or a map value`);
  }
}

/** Apply a load's result: sign-extending loads (LDSX) extend from the access size. */
export function loadedValue(loaded: Reg | undefined, size: number, signExt: boolean): Reg {
  if (!loaded) return NOT_INIT;
  if (!signExt || loaded.t !== 'scalar') return loaded;
  return scalarReg(signExtend(loaded.s, size));
}

