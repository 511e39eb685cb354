/**
 * bpf_spin_lock (93) / bpf_spin_unlock (94) in wasm, as src/vm/helpers/control.ts does them on the same
 * arena word: lock spins on a 0 → 1 compare-exchange of the u32 lock word inside the map value (another
 * worker holds it for a few instructions at most: the verifier forbids calls and exits while it is held),
 * unlock stores 0 atomically; both return 0. Under `--harden` the lock address is confined like a 4-byte
 * memory access (jit/harden.ts), so a wrong pointer cannot take a word in another object.
 */
import binaryen from 'binaryen';
import type { Expr, LowerContext } from './lower-context.js';

export const LockHelperId = { SPIN_LOCK: 93, SPIN_UNLOCK: 94 } as const;

const i32 = binaryen.i32;

export function lowerLockHelper(ctx: LowerContext, helperId: number, at: number): Expr | undefined {
  if (helperId !== LockHelperId.SPIN_LOCK && helperId !== LockHelperId.SPIN_UNLOCK) return undefined;
  const { m } = ctx;
  const word = ctx.tempI32();
  const { ptr, offset } = ctx.accessAddress(1, 0, 4, at);
  const addr = (): Expr => m.local.get(word, i32);
  const body = helperId === LockHelperId.SPIN_LOCK
    ? m.loop(`spin_lock_${at}`, m.br(`spin_lock_${at}`, m.i32.ne(m.i32.atomic.rmw.cmpxchg(0, addr(), m.i32.const(0), m.i32.const(1)), m.i32.const(0))))
    : m.drop(m.i32.atomic.rmw.xchg(0, addr(), m.i32.const(0)));
  return m.block(null, [m.local.set(word, m.i32.add(ptr, m.i32.const(offset))), body, m.i64.const(0n)], binaryen.i64);
}
