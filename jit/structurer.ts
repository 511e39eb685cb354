/**
 * Structured control flow from a reducible CFG without a label variable, after Ramsey, "Beyond Relooper"
 * (JFP 2022): walk the dominator tree; a block with a back edge into it becomes a `loop`; a block with two
 * or more forward predecessors (a merge node) is placed after a `block` that its predecessors `br` out of,
 * nested so the merge node with the highest reverse-postorder number is outermost; every other block is
 * inlined at its only forward predecessor's branch. eBPF control flow from clang is reducible; for an
 * irreducible CFG this returns undefined and the caller uses Binaryen's Relooper instead.
 */
import type { Expr, IrBuilder } from './ir-builder.js';
import type { LoweredBlock, Structurer } from './function-builder.js';

export class IrreducibleControlFlow extends Error {
  constructor(readonly block: number) {
    super(`control flow into slot ${block} is irreducible`);
    this.name = 'IrreducibleControlFlow';
  }
}

/** A Structurer that throws IrreducibleControlFlow when the CFG needs the Relooper's label variable. */
export function dominatorTreeStructurer(m: IrBuilder): Structurer {
  return (blocks) => structure(m, blocks);
}

function successors(b: LoweredBlock): number[] {
  const t = b.block.term;
  switch (t.kind) {
    case 'jump': return [t.target];
    case 'fallthrough': return [t.next];
    case 'cond': return t.next === null ? [t.taken] : b.condition === undefined ? [t.next] : [t.taken, t.next];
    default: return [];
  }
}

function structure(m: IrBuilder, blocks: readonly LoweredBlock[]): Expr {
  const byStart = new Map(blocks.map((b) => [b.block.start, b]));
  const entry = blocks[0]!.block.start;
  // Reverse postorder.
  const post: number[] = [];
  const seen = new Set<number>();
  const visit = (s: number): void => {
    seen.add(s);
    for (const t of successors(byStart.get(s)!)) if (!seen.has(t)) visit(t);
    post.push(s);
  };
  visit(entry);
  const order = post.reverse();
  const rpo = new Map(order.map((s, i) => [s, i]));
  const preds = new Map<number, number[]>(order.map((s) => [s, []]));
  for (const s of order) for (const t of successors(byStart.get(s)!)) preds.get(t)!.push(s);
  // Immediate dominators (Cooper, Harvey, Kennedy: "A Simple, Fast Dominance Algorithm").
  const idom = new Map<number, number>([[entry, entry]]);
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (rpo.get(a)! > rpo.get(b)!) a = idom.get(a)!;
      while (rpo.get(b)! > rpo.get(a)!) b = idom.get(b)!;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const s of order) {
      if (s === entry) continue;
      let d: number | undefined;
      for (const p of preds.get(s)!) if (idom.has(p)) d = d === undefined ? p : intersect(p, d);
      if (d !== undefined && idom.get(s) !== d) {
        idom.set(s, d);
        changed = true;
      }
    }
  }
  const dominates = (a: number, b: number): boolean => {
    for (let x = b; ; x = idom.get(x)!) {
      if (x === a) return true;
      if (x === entry) return false;
    }
  };
  const loopHeaders = new Set<number>();
  const forwardPreds = new Map<number, number>(order.map((s) => [s, 0]));
  for (const s of order) {
    for (const p of preds.get(s)!) {
      if (rpo.get(p)! >= rpo.get(s)!) {
        if (!dominates(s, p)) throw new IrreducibleControlFlow(s);
        loopHeaders.add(s);
      } else forwardPreds.set(s, forwardPreds.get(s)! + 1);
    }
  }
  const isMerge = (s: number): boolean => forwardPreds.get(s)! >= 2;
  const children = new Map<number, number[]>(order.map((s) => [s, []]));
  for (const s of order) if (s !== entry) children.get(idom.get(s)!)!.push(s);

  const loopLabel = (s: number): string => `L${s}`;
  const blockLabel = (s: number): string => `B${s}`;

  const branch = (from: number, to: number): Expr[] => {
    if (rpo.get(to)! <= rpo.get(from)!) return [m.br(loopLabel(to))];
    if (isMerge(to)) return [m.br(blockLabel(to))];
    return doTree(to);
  };

  const code = (s: number): Expr[] => {
    const b = byStart.get(s)!;
    const out = [...b.stmts];
    const t = b.block.term;
    if (t.kind === 'jump') out.push(...branch(s, t.target));
    else if (t.kind === 'fallthrough') out.push(...branch(s, t.next));
    else if (t.kind === 'cond' && b.condition === undefined) out.push(...branch(s, t.next!));
    else if (t.kind === 'cond') {
      const elseArm = t.next === null ? [m.unreachable()] : branch(s, t.next);
      out.push(m.if(b.condition!, m.block(null, branch(s, t.taken)), m.block(null, elseArm)));
    }
    return out;
  };

  const nodeWithin = (s: number, merges: readonly number[]): Expr[] => {
    if (merges.length === 0) return code(s);
    const [outer, ...inner] = merges;
    return [m.block(blockLabel(outer!), nodeWithin(s, inner)), ...doTree(outer!)];
  };

  function doTree(s: number): Expr[] {
    const merges = children.get(s)!.filter(isMerge).sort((a, b) => rpo.get(b)! - rpo.get(a)!);
    const body = nodeWithin(s, merges);
    return loopHeaders.has(s) ? [m.loop(loopLabel(s), m.block(null, body))] : body;
  }

  return m.block(null, doTree(entry));
}
