/**
 * A map helper lowered per map (inline-helpers.ts, lower-map-*.ts) at a call site whose map register r1 is
 * not known in its block: clang merges calls that differ only in their map into one call site whose r1 is
 * set in the predecessors (programs/lpm_blocklist.c looks its IPv4 and IPv6 tries up at one `call 1`).
 * The site then compares r1 with each map of the program that has a specialised lowering and runs that
 * lowering, and anything else (an inner map of a map-in-map lookup) takes the generic path. The kernel
 * cannot inline such a site either (its verifier poisons the map pointer and calls through map->ops).
 */
import binaryen from 'binaryen';
import type { Expr, LowerContext } from './lower-context.js';

/** Above this many candidate maps a call site keeps the generic path rather than a long compare chain. */
const MAX_CANDIDATES = 16;

/**
 * The i64 r0 of a helper whose map is r1: `lower(mapAddr)` for r1's map when the block knows it (undefined
 * when that lowering declines), else a run-time choice among the program's maps `lower` accepts with
 * `generic()` for any other map; undefined when no map of the program has a lowering.
 */
export function lowerPerMap(ctx: LowerContext, lower: (mapAddr: number) => Expr | undefined, generic: () => Expr): Expr | undefined {
  const known = ctx.knownMap(1);
  if (known !== undefined) return lower(known);
  const cases: [number, Expr][] = [];
  for (const addr of ctx.programMaps()) {
    const e = lower(addr);
    if (e !== undefined) cases.push([addr, e]);
    if (cases.length > MAX_CANDIDATES) return undefined;
  }
  if (cases.length === 0) return undefined;
  const { m } = ctx;
  const map = ctx.tempI32();
  let chain = generic();
  for (let i = cases.length - 1; i >= 0; i--) {
    const [addr, e] = cases[i]!;
    chain = m.if(m.i32.eq(m.local.get(map, binaryen.i32), m.i32.const(addr | 0)), e, chain);
  }
  return m.block(null, [m.local.set(map, m.i32.wrap(ctx.get(1))), chain], binaryen.i64);
}
