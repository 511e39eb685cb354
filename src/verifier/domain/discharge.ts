/**
 * How each assertion of assertions.ts is proved from the abstract state. A failed proof throws a
 * RuleViolation naming the rule in the kernel's words plus a fix hint. Memory assertions return what the
 * access touches (and loads), which the interpreter then applies.
 */
import type { ObjectSpec } from '../../ebpf/object-spec.js';
import { MapType, mapTypeName } from '../../ebpf/object-spec.js';
import type { HelperProto } from '../../ebpf/helpers.js';
import type { Assertion } from '../assertions.js';
import { RuleViolation } from '../errors.js';
import { type AccessEnv, type AccessResult, checkAccess, checkHelperMem, MAX_VAR_OFF } from './memory.js';
import { type Reg, constReg, isPointer, typeName } from './reg.js';
import type { State } from './state.js';
import { MAX_CALL_FRAMES } from './state.js';
import { isConst } from './scalar.js';

export interface DischargeEnv extends AccessEnv {
  readonly obj: ObjectSpec;
  readonly helper: (id: number) => HelperProto | undefined;
  /** The object's license allows GPL-only helpers. */
  readonly gplCompatible: boolean;
}

/** Kernel license_is_gpl_compatible(). */
export function isGplCompatible(license: string): boolean {
  return ['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'].includes(license);
}

/**
 * Map types that only some helpers may touch (the map-side half of check_map_func_compatibility; the
 * helper-side half is HelperProto.mapTypes).
 */
const MAP_ONLY_HELPERS: ReadonlyMap<number, readonly string[]> = new Map([
  [MapType.PROG_ARRAY, ['tail_call']],
  [MapType.PERF_EVENT_ARRAY, ['perf_event_output', 'perf_event_read', 'perf_event_read_value', 'skb_output', 'xdp_output']],
  [MapType.RINGBUF, ['ringbuf_output', 'ringbuf_reserve', 'ringbuf_query', 'ringbuf_reserve_dynptr']],
  [MapType.DEVMAP, ['redirect_map', 'map_lookup_elem']],
  [MapType.DEVMAP_HASH, ['redirect_map', 'map_lookup_elem']],
  [MapType.CPUMAP, ['redirect_map']],
  [MapType.XSKMAP, ['redirect_map', 'map_lookup_elem']],
  [MapType.ARRAY_OF_MAPS, ['map_lookup_elem']],
  [MapType.HASH_OF_MAPS, ['map_lookup_elem']],
  [MapType.QUEUE, ['map_peek_elem', 'map_pop_elem', 'map_push_elem']],
  [MapType.STACK, ['map_peek_elem', 'map_pop_elem', 'map_push_elem']],
  [MapType.BLOOM_FILTER, ['map_peek_elem', 'map_push_elem']],
]);

const DYNPTR_HELPERS = new Set(['dynptr_from_mem', 'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr', 'dynptr_read', 'dynptr_write', 'dynptr_data']);

export interface Proof {
  readonly access?: AccessResult;
}

/** The proof of an assertion that yields nothing (most of them): shared, not allocated per instruction. */
const NO_PROOF: Proof = Object.freeze({});

export function discharge(a: Assertion, st: State, env: DischargeEnv): Proof {
  const regs = st.cur.regs;
  switch (a.kind) {
    case 'initialized':
      if (regs[a.reg]!.t === 'not_init') {
        throw new RuleViolation(`R${a.reg} !read_ok`,
          a.reg === 0 ? 'R0 must hold the return value before exit (set it on every path)' : `R${a.reg} is read before anything was assigned to it on this path`);
      }
      return NO_PROOF;
    case 'writable':
      if (a.reg === 10) throw new RuleViolation('frame pointer is read only', 'r10 cannot be assigned; copy it to another register first');
      return NO_PROOF;
    case 'access':
      // Proving a store also records what it leaves in the stack slot (spill, zero, misc).
      return { access: checkAccess(st, env, a.reg, a.off, a.size, a.mode, a.value !== undefined ? regs[a.value] : a.imm !== undefined ? constReg(BigInt(a.imm)) : undefined) };
    case 'no_leak':
      if (env.strict && isPointer(regs[a.reg]!)) throw new RuleViolation(`R${a.reg} leaks addr into mem`, 'atomic operations take numbers, not pointers (strict mode)');
      return NO_PROOF;
    case 'alu_operands':
    case 'cmp_operands':
      return NO_PROOF;
    case 'helper': {
      const p = checkHelper(a.id, env);
      if (env.helper(a.id)?.name === 'tail_call' && st.refs.size > 0) {
        const [id, at] = [...st.refs.entries()][0]!;
        throw new RuleViolation('tail_call would lead to reference leak', `the ring buffer reservation (id=${id}) made at insn ${at} must be submitted or discarded before bpf_tail_call`);
      }
      if (st.lock && env.helper(a.id)?.name !== 'spin_unlock') {
        throw new RuleViolation('function calls are not allowed while holding a lock', `release the lock taken at insn ${st.lock.insn} (bpf_spin_unlock) first`);
      }
      return p;
    }
    case 'helper_arg':
      checkHelperArg(a.reg, a.argKind, a.proto, st, env);
      return NO_PROOF;
    case 'call_depth':
      if (st.lock) throw new RuleViolation('function calls are not allowed while holding a lock', `release the lock taken at insn ${st.lock.insn} first`);
      if (st.frames.length >= MAX_CALL_FRAMES) {
        throw new RuleViolation(`the call stack of ${st.frames.length + 1} frames is too deep`, 'at most 8 nested bpf-to-bpf call frames');
      }
      return NO_PROOF;
    case 'return_value': {
      if (st.lock) throw new RuleViolation('BPF_EXIT instruction cannot be used inside bpf_spin_lock-ed region', `bpf_spin_unlock is missing: the lock taken at insn ${st.lock.insn} is still held at exit`);
      // Kernel: R0 is checked at the main program's exit only; a callee's missing R0 matters only if read.
      if (st.frames.length > 1) return NO_PROOF;
      const r0 = regs[0]!;
      if (st.cur.funcStart !== 0 && r0.t !== 'scalar') {
        throw new RuleViolation('At subprogram exit the register R0 is not a scalar value', 'a global function returns a number');
      }
      if (r0.t === 'not_init') throw new RuleViolation('R0 !read_ok', 'R0 must hold the return value (an XDP action) before exit, on every path');
      if (env.strict && isPointer(r0)) throw new RuleViolation('R0 leaks addr as return value', 'return an XDP action (a number), not a pointer');
      return NO_PROOF;
    }
    case 'refs_released':
      if (st.frames.length === 1 && st.refs.size > 0) {
        const [id, at] = [...st.refs.entries()][0]!;
        throw new RuleViolation(`Unreleased reference id=${id} alloc_insn=${at}`,
          `the ring buffer reservation made at insn ${at} must be passed to bpf_ringbuf_submit or bpf_ringbuf_discard on every path`);
      }
      return NO_PROOF;
    case 'kfunc': {
      const t = env.obj.btf?.typeById(a.btfId);
      const name = t && t.kind === 'func' ? t.name : `BTF id ${a.btfId}`;
      throw new RuleViolation(`kfunc ${name} is not supported by xdpjit`, 'kfuncs are kernel functions outside the helper ABI; use a helper instead', undefined, true);
    }
    case 'forbidden':
      throw new RuleViolation(a.what, undefined, undefined, a.unsupported);
  }
}

function checkHelper(id: number, env: DischargeEnv): Proof {
  const proto = env.helper(id);
  if (!proto) {
    throw new RuleViolation(`invalid func unknown#${id}`, `helper ${id} is not available to XDP programs in xdpjit`, undefined, true);
  }
  if (DYNPTR_HELPERS.has(proto.name)) {
    throw new RuleViolation(`dynptr helper bpf_${proto.name} is not supported`, 'dynptrs are not supported by xdpjit', undefined, true);
  }
  if (proto.gplOnly && !env.gplCompatible) {
    throw new RuleViolation('cannot call GPL-restricted function from non-GPL compatible program',
      `bpf_${proto.name} is GPL-only: declare a GPL-compatible license (char LICENSE[] SEC("license") = "GPL")`);
  }
  return NO_PROOF;
}

/** The constant-size argument that goes with a memory argument (the next register). */
function sizeArg(st: State, regNo: number): Reg {
  return st.cur.regs[regNo + 1]!;
}

function checkSize(r: Reg, regNo: number, orZero: boolean, name: string): { min: number; max: number } {
  const R = `R${regNo}`;
  if (r.t !== 'scalar') throw new RuleViolation(`${R} type=${typeName(r.t)} expected=scalar`, `${name}: the size argument must be a number`);
  if (r.s.r64.smin < 0n) {
    throw new RuleViolation(`${R} min value is negative, either use unsigned or 'var &= const'`, `${name}: the size may be negative`);
  }
  if (!orZero && r.s.r64.umin === 0n) {
    throw new RuleViolation(`${R} invalid zero-sized read`, `${name}: the size may be 0; check it is > 0 first`);
  }
  if (r.s.r64.umax >= BigInt(MAX_VAR_OFF)) {
    throw new RuleViolation(`${R} unbounded memory access, use 'var &= const' or 'if (var < const)'`, `${name}: bound the size`);
  }
  return { min: Number(r.s.r64.umin), max: Number(r.s.r64.umax) };
}

function checkHelperArg(regNo: number, kind: HelperProto['args'][number], proto: HelperProto, st: State, env: DischargeEnv): void {
  const r = st.cur.regs[regNo]!;
  const R = `R${regNo}`;
  const name = `bpf_${proto.name} arg${regNo}`;
  if (r.t === 'not_init') throw new RuleViolation(`${R} !read_ok`, `${name} is not set before the call`);
  const expect = (ok: boolean, expected: string): void => {
    if (!ok) throw new RuleViolation(`${R} type=${typeName(r.t)} expected=${expected}`, `${name} must be ${expected}`);
  };
  switch (kind) {
    case 'anything':
      if (env.strict && isPointer(r)) throw new RuleViolation(`${R} leaks addr into helper function`, `${name}: pass a number, not a pointer (strict mode)`);
      return;
    case 'const_map_ptr': {
      expect(r.t === 'map_ptr', 'map_ptr');
      const map = r.map!;
      if (proto.mapTypes && !proto.mapTypes.includes(map.type)) {
        throw new RuleViolation(`cannot pass map_type ${map.type} into func bpf_${proto.name}#${proto.id}`,
          `bpf_${proto.name} does not accept ${mapTypeName(map.type)} (${map.name})`);
      }
      const only = MAP_ONLY_HELPERS.get(map.type);
      if (only && !only.includes(proto.name)) {
        throw new RuleViolation(`cannot pass map_type ${map.type} into func bpf_${proto.name}#${proto.id}`,
          `${mapTypeName(map.type)} (${map.name}) is usable only with ${only.map((n) => `bpf_${n}`).join(', ')}`);
      }
      return;
    }
    case 'map_key':
    case 'map_value':
    case 'uninit_map_value': {
      const m = st.cur.regs[1]!;
      if (m.t !== 'map_ptr') throw new RuleViolation(`R1 type=${typeName(m.t)} expected=map_ptr`, `${name}: needs the map in R1`);
      const size = kind === 'map_key' ? m.map!.keySize : m.map!.valueSize;
      checkHelperMem(st, env, regNo, size, size, kind === 'uninit_map_value', name);
      return;
    }
    case 'mem':
    case 'rw_mem':
    case 'uninit_mem':
    case 'mem_or_null': {
      if (kind === 'mem_or_null' && r.t === 'scalar' && isConst(r.s) && r.s.var.value === 0n) return;
      const next = proto.args[regNo] ?? 'const_size';
      const { max } = checkSize(sizeArg(st, regNo), regNo + 1, next === 'const_size_or_zero', name);
      if (kind === 'rw_mem') checkHelperMem(st, env, regNo, max, max, false, name);
      checkHelperMem(st, env, regNo, max, max, kind === 'uninit_mem' || kind === 'rw_mem', name);
      return;
    }
    case 'u32_ptr':
    case 'long_ptr': {
      const size = kind === 'u32_ptr' ? 4 : 8;
      checkHelperMem(st, env, regNo, size, size, false, name);
      checkHelperMem(st, env, regNo, size, size, true, name);
      return;
    }
    case 'const_size':
    case 'const_size_or_zero':
      checkSize(r, regNo, kind === 'const_size_or_zero', name);
      return;
    case 'const_alloc_size_or_zero':
      if (r.t !== 'scalar' || !isConst(r.s)) throw new RuleViolation(`${R} is not a known constant'`, `${name}: the reservation size must be a constant`);
      return;
    case 'ctx':
      expect(r.t === 'ctx', 'ctx');
      if (r.off !== 0 || !isConst(r.s) || r.s.var.value !== 0n) {
        throw new RuleViolation(`dereference of modified ctx ptr ${R} off=${r.off} disallowed`, `${name}: pass the ctx pointer the program received, unmodified`);
      }
      return;
    case 'alloc_mem':
      expect(r.t === 'ringbuf_mem', 'ringbuf_mem');
      if (r.off !== 0 || !isConst(r.s) || r.s.var.value !== 0n) {
        throw new RuleViolation(`${R} must have zero offset when passed to release func`, `${name}: pass the pointer bpf_ringbuf_reserve returned, unmodified`);
      }
      return;
    case 'stack_or_null':
      if (r.t === 'scalar' && isConst(r.s) && r.s.var.value === 0n) return;
      expect(r.t === 'stack', 'fp');
      return;
    case 'func':
      expect(r.t === 'func_ptr', 'func');
      return;
    case 'spin_lock': {
      expect(r.t === 'map_value', 'map_value');
      if (!isConst(r.s)) throw new RuleViolation(`${R} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`, `${name}: pass &value->lock`);
      const lock = env.spinLock(r.map!);
      if (lock === undefined) {
        throw new RuleViolation(`map '${r.map!.name}' has no valid bpf_spin_lock`, `${name}: the map's value type (BTF) must contain a struct bpf_spin_lock`);
      }
      const off = r.off + Number(BigInt.asIntN(64, r.s.var.value));
      if (off !== lock) throw new RuleViolation(`off ${off} doesn't point to 'struct bpf_spin_lock' that is at ${lock}`, `${name}: pass &value->lock`);
      if (proto.name === 'spin_lock' && st.lock) {
        throw new RuleViolation('Locking two bpf_spin_locks are not allowed', `the lock taken at insn ${st.lock.insn} is still held`);
      }
      if (proto.name === 'spin_unlock') {
        if (!st.lock) throw new RuleViolation('bpf_spin_unlock without taking a lock', 'call bpf_spin_lock first');
        if (st.lock.map !== r.map || st.lock.id !== r.id) throw new RuleViolation('bpf_spin_unlock of different lock', `unlock the lock taken at insn ${st.lock.insn}`);
      }
      return;
    }
  }
}

