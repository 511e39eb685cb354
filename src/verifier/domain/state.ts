/**
 * The abstract machine state at one instruction: call frames (registers + stack), acquired references.
 * Mirrors the kernel's bpf_verifier_state / bpf_func_state. States are copied on branches; registers are
 * immutable values so a copy is shallow.
 *
 * Stack model, per frame (512 bytes, offsets -512..-1 from r10): one kind per byte — the kernel's
 * STACK_INVALID (never written), STACK_MISC (unknown bytes), STACK_ZERO (known zero), STACK_SPILL (part
 * of an 8-byte aligned register spill, which keeps the register's full state).
 */
import { type Reg, IdMap, NOT_INIT, isPointer, regCovers, pointerReg } from './reg.js';
import { scalarConst } from './scalar.js';
import type { MapSpec } from '../../ebpf/object-spec.js';

export const STACK_SIZE = 512;
export const MAX_CALL_FRAMES = 8;

export const enum Slot { INVALID = 0, MISC = 1, ZERO = 2, SPILL = 3 }

export class Frame {
  /**
   * `slots` and `spills` may be shared with clones (copy-on-write): a state is cloned at every branch and
   * checkpoint but most paths never write the stack before the next clone, and copying 512 + 64 entries per
   * clone dominated verification time. Read them freely; write only after `own()`.
   */
  private shared = false;

  constructor(
    readonly regs: Reg[],
    /** Byte kinds for offsets -512..-1: index = 512 + off. */
    public slots: Uint8Array,
    /** Spilled registers by 8-byte slot: index = (512 + off) / 8. */
    public spills: (Reg | null)[],
    /** Instruction to return to (the call's index + 1); -1 in the entry frame. */
    readonly callsite: number,
    /** First instruction of the function this frame runs. */
    readonly funcStart: number,
    /** For a helper callback (bpf_loop...): the helper call's index; -1 for plain calls. */
    readonly callbackOf: number = -1,
  ) {}

  static entry(frameNo: number, funcStart: number, callsite: number, callbackOf = -1): Frame {
    const regs: Reg[] = new Array(11).fill(NOT_INIT);
    regs[10] = pointerReg('stack', { frame: frameNo, s: scalarConst(0n) });
    return new Frame(regs, new Uint8Array(STACK_SIZE), new Array(STACK_SIZE / 8).fill(null), callsite, funcStart, callbackOf);
  }

  clone(): Frame {
    this.shared = true;
    const f = new Frame(this.regs.slice(), this.slots, this.spills, this.callsite, this.funcStart, this.callbackOf);
    f.shared = true;
    return f;
  }

  /** Make `slots` and `spills` this frame's own before writing them. */
  own(): void {
    if (!this.shared) return;
    this.slots = this.slots.slice();
    this.spills = this.spills.slice();
    this.shared = false;
  }
}

/** The bpf_spin_lock held (kernel: active_lock): which map's value, through which pointer identity. */
export interface HeldLock {
  readonly map: MapSpec;
  readonly id: number;
  readonly insn: number;
}

export class State {
  constructor(
    readonly frames: Frame[],
    /** Acquired references (ringbuf reservations): id → instruction that acquired it. */
    readonly refs: Map<number, number>,
    public lock: HeldLock | null = null,
  ) {}

  get cur(): Frame { return this.frames[this.frames.length - 1]!; }
  get curFrameNo(): number { return this.frames.length - 1; }

  clone(): State {
    return new State(this.frames.map((f) => f.clone()), new Map(this.refs), this.lock);
  }

  /** Every register and spilled register of every frame (kernel: bpf_for_each_reg_in_vstate). */
  forEachReg(fn: (r: Reg) => Reg): void {
    for (const f of this.frames) {
      for (let i = 0; i < f.regs.length; i++) f.regs[i] = fn(f.regs[i]!);
      for (let i = 0; i < f.spills.length; i++) {
        const sp = f.spills[i];
        if (!sp) continue;
        const n = fn(sp);
        if (n !== sp) { f.own(); f.spills[i] = n; }
      }
    }
  }
}

/**
 * `old` covers `cur` (kernel states_equal with RANGE_WITHIN; `exact` for the infinite-loop check).
 * `live[frame]` has bit r set when register r of that frame may still be read; dead ones are ignored.
 */
export function stateCovers(old: State, cur: State, live: readonly number[], exact: boolean): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  if (old.refs.size !== cur.refs.size) return false;
  const ids = new IdMap();
  if ((old.lock === null) !== (cur.lock === null)) return false;
  if (old.lock && cur.lock && (old.lock.map !== cur.lock.map || !ids.check(old.lock.id, cur.lock.id))) return false;
  for (const [id] of old.refs) {
    // References must pair up one to one; which id pairs with which is checked through the registers.
    if (!cur.refs.has(id) && exact) return false;
  }
  // Register types first: a checkpoint list holds many states, and a type mismatch (the usual reason one
  // does not cover) is found without comparing any bounds.
  for (let f = 0; f < old.frames.length; f++) {
    const o = old.frames[f]!.regs;
    const c = cur.frames[f]!.regs;
    for (let r = 0; r < 10; r++) {
      const ot = o[r]!.t;
      if (ot === c[r]!.t || (ot === 'not_init' && !exact)) continue;
      if (exact || ((live[f]! >> r) & 1) === 1) return false;
    }
  }
  for (let f = 0; f < old.frames.length; f++) {
    const o = old.frames[f]!;
    const c = cur.frames[f]!;
    if (o.callsite !== c.callsite || o.funcStart !== c.funcStart || o.callbackOf !== c.callbackOf) return false;
    for (let r = 0; r < 10; r++) {
      if (!exact && ((live[f]! >> r) & 1) === 0) continue;
      if (!regCovers(o.regs[r]!, c.regs[r]!, ids, exact)) return false;
    }
    if (!stackCovers(o, c, ids, exact)) return false;
  }
  return true;
}

function stackCovers(o: Frame, c: Frame, ids: IdMap, exact: boolean): boolean {
  // Byte kinds identical (the common case) cover each other; only the spilled registers remain to compare.
  const same = o.slots === c.slots || Buffer.compare(o.slots, c.slots) === 0;
  for (let i = 0; !same && i < STACK_SIZE; i++) {
    const ok = o.slots[i]!;
    const ck = c.slots[i]!;
    // Equal kinds cover each other (spilled registers are compared below).
    if (ok === ck) continue;
    if (exact) {
      if (ok !== ck) return false;
      continue;
    }
    switch (ok) {
      case Slot.INVALID:
        continue;
      case Slot.MISC:
        // Unknown bytes cover known zeros and the bytes of a spilled scalar, never a spilled pointer.
        if (ck === Slot.MISC || ck === Slot.ZERO) continue;
        if (ck === Slot.SPILL && !isPointer(c.spills[i >> 3]!)) continue;
        return false;
      case Slot.ZERO:
        if (ck !== Slot.ZERO) return false;
        continue;
      case Slot.SPILL:
        if (ck !== Slot.SPILL) return false;
        continue;
    }
  }
  for (let s = 0; s < o.spills.length; s++) {
    const os = o.spills[s];
    if (!os) continue;
    const cs = c.spills[s];
    if (!cs) return false;
    if (!regCovers(os, cs, ids, exact)) return false;
  }
  return true;
}
