/**
 * Tier-1 backend: encodes wasm directly (WebAssembly core spec §5 binary format, plus the threads proposal's
 * 0xFE atomics), implementing the same IrBuilder/ModuleWriter interfaces as the Binaryen backend. Building
 * Binaryen IR costs a JS→wasm call per node, and binaryen.js's C++ exception handling bounces through JS;
 * here a node is a small JS object and the module is bytes at once. No optimisation happens: V8's TurboFan
 * does the register allocation and instruction selection that matter for straight eBPF code.
 *
 * Expressions are built children first (like Binaryen), kept as nodes, and flattened per function at
 * finish(), when function and global names resolve to indices and `br` labels to depths.
 */
import binaryen from 'binaryen';
import type { AtomicRmw, Expr, I32Ops, I64Ops, IrBuilder, TableOps, ValueType } from './ir-builder.js';
import type { ModuleWriter } from './module-writer.js';
import type { Structurer } from './function-builder.js';
import { dominatorTreeStructurer } from './structurer.js';

type NodeKind = 'op' | 'block' | 'loop' | 'if' | 'br' | 'call' | 'global' | 'table';

interface Node {
  readonly kind: NodeKind;
  /** binaryen.i32 / i64 / none / unreachable. */
  readonly type: ValueType;
  readonly kids: readonly Expr[];
  /** Bytes after the children ('op'), or the opcode ('br', 'call', 'global'). */
  readonly bytes: readonly number[];
  /** Label a block/loop opens, or a br's target. */
  readonly label?: string | null;
  /** Function, global or table name ('call', 'global', 'table'). */
  readonly name?: string;
  /** return_call_indirect's signature ('table' nodes whose bytes are [0x13]). */
  readonly sig?: { readonly params: readonly ValueType[]; readonly result: ValueType };
}

/**
 * Nodes as stored: one class, every field present, so the emitter's property reads see one object shape
 * (object literals with optional fields gave five, and a megamorphic `emit`).
 */
class StoredNode implements Node {
  constructor(
    readonly kind: NodeKind,
    readonly type: ValueType,
    readonly kids: readonly Expr[],
    readonly bytes: readonly number[],
    readonly label: string | null,
    readonly name: string | undefined,
    readonly sig: Node['sig'],
  ) {}
}

/** What emission of one function body tracks. */
interface EmitState {
  readonly out: ByteWriter;
  readonly funcs: ReadonlyMap<string, number>;
  readonly globals: ReadonlyMap<string, number>;
  readonly tables: ReadonlyMap<string, number>;
  /** Nesting level at which the innermost open block/loop with this label opened. */
  readonly labelLevel: Map<string, number>;
  /** Open blocks, loops and ifs. */
  level: number;
}

/** A growable byte buffer (a JS number[] per function costs more in allocation and GC than the encoding). */
class ByteWriter {
  private buf = new Uint8Array(4096);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }

  bytes(bs: ArrayLike<number>): void {
    this.room(bs.length);
    for (let i = 0; i < bs.length; i++) this.buf[this.length++] = bs[i]!;
  }

  uleb(v: number): void {
    let x = v >>> 0;
    do {
      const b = x & 0x7f;
      x >>>= 7;
      this.byte(x !== 0 ? b | 0x80 : b);
    } while (x !== 0);
  }

  append(w: ByteWriter): void {
    this.room(w.length);
    this.buf.set(w.buf.subarray(0, w.length), this.length);
    this.length += w.length;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const uleb = (out: number[], v: number): void => {
  let x = v >>> 0;
  do {
    const b = x & 0x7f;
    x >>>= 7;
    out.push(x !== 0 ? b | 0x80 : b);
  } while (x !== 0);
};

const sleb32 = (out: number[], v: number): void => {
  let x = v | 0;
  for (;;) {
    const b = x & 0x7f;
    x >>= 7;
    if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
};

const sleb64 = (out: number[], v: bigint): void => {
  if (v >= -0x80000000n && v <= 0x7fffffffn) {
    sleb32(out, Number(v));
    return;
  }
  let x = BigInt.asIntN(64, v);
  for (;;) {
    const b = Number(x & 0x7fn);
    x >>= 7n;
    if ((x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
};

const NO_KIDS: readonly Expr[] = [];
const GLOBAL_GET: readonly number[] = [0x23];
const GLOBAL_SET: readonly number[] = [0x24];
const DROP: readonly number[] = [0x1a];
const SELECT: readonly number[] = [0x1b];
const RETURN: readonly number[] = [0x0f];
const UNREACHABLE: readonly number[] = [0x00];
const BR: readonly number[] = [0x0c];
const BR_IF: readonly number[] = [0x0d];
const CALL: readonly number[] = [0x10];

const valType = (t: ValueType): number => {
  if (t === binaryen.i32) return 0x7f;
  if (t === binaryen.i64) return 0x7e;
  throw new Error(`wasm emitter: unsupported value type ${t}`);
};

const blockType = (t: ValueType): number => (t === binaryen.i32 || t === binaryen.i64 ? valType(t) : 0x40);
const isValue = (t: ValueType): boolean => t === binaryen.i32 || t === binaryen.i64;
const log2 = (align: number): number => (align >= 8 ? 3 : align >= 4 ? 2 : align >= 2 ? 1 : 0);

interface FunctionDef {
  readonly name: string;
  readonly params: readonly ValueType[];
  readonly result: ValueType;
  readonly vars: readonly ValueType[];
  readonly body: Expr;
}

export class WasmEmitter implements IrBuilder, ModuleWriter {
  private readonly nodes: StoredNode[] = [];
  private readonly imports: { kind: 'func' | 'global' | 'table'; name: string; field: string; params?: readonly ValueType[]; result?: ValueType; type?: ValueType }[] = [];
  private readonly functions: FunctionDef[] = [];
  private readonly functionNames = new Set<string>();
  private readonly globals: { name: string; type: ValueType; initial: number }[] = [];
  private readonly exports: { kind: 'func' | 'global'; name: string; field: string }[] = [];
  private memoryImported = false;
  readonly structure: Structurer;
  readonly i32: I32Ops;
  readonly i64: I64Ops;
  readonly local: IrBuilder['local'];
  readonly global: IrBuilder['global'];
  readonly tailTable: TableOps;
  /** Shared leaf nodes: local.get by index (per type) and constants by value. */
  private i32Gets: Expr[] = [];
  private i64Gets: Expr[] = [];
  private readonly i32Consts = new Map<number, Expr>();
  private readonly i64Consts = new Map<bigint, Expr>();
  /** Type section index of a signature, during finish(). */
  private typeIndexOf: (params: readonly ValueType[], result: ValueType) => number = () => 0;

  constructor() {
    const { i32, i64, none } = binaryen;
    // Operator bytes are shared between the nodes that use them, and leaf nodes (local.get, constants) are
    // shared between their uses: emission only reads nodes, so the expression graph may be a DAG. This keeps
    // the allocation per eBPF instruction to a few small objects (tier 1 compile time, design.md §3).
    const op = (type: ValueType, kids: readonly Expr[], bytes: readonly number[]): Expr => this.add({ kind: 'op', type, kids, bytes });
    const un = (type: ValueType, code: number) => {
      const bytes = [code];
      return (v: Expr): Expr => op(type, [v], bytes);
    };
    const bin = (type: ValueType, code: number) => {
      const bytes = [code];
      return (a: Expr, b: Expr): Expr => op(type, [a, b], bytes);
    };
    const memarg = (code: readonly number[], align: number, offset: number): number[] => {
      const out = [...code, log2(align)];
      uleb(out, offset);
      return out;
    };
    const load = (type: ValueType, code: number) => (offset: number, align: number, ptr: Expr): Expr =>
      op(type, [ptr], memarg([code], align, offset));
    const store = (code: number) => (offset: number, align: number, ptr: Expr, value: Expr): Expr =>
      op(none, [ptr, value], memarg([code], align, offset));
    const rmw = (type: ValueType, base: number): AtomicRmw => {
      const size = type === i64 ? 8 : 4;
      const f = (group: number) => (offset: number, ptr: Expr, value: Expr): Expr =>
        op(type, [ptr, value], memarg([0xfe, base + group], size, offset));
      return {
        add: f(0x00), and: f(0x0e), or: f(0x15), xor: f(0x1c), xchg: f(0x23),
        cmpxchg: (offset, ptr, expected, replacement) => op(type, [ptr, expected, replacement], memarg([0xfe, base + 0x2a], size, offset)),
      };
    };
    const intOps = (type: ValueType, cmp: number, arith: number) => ({
      eqz: un(i32, cmp), eq: bin(i32, cmp + 1), ne: bin(i32, cmp + 2), lt_s: bin(i32, cmp + 3), lt_u: bin(i32, cmp + 4),
      gt_s: bin(i32, cmp + 5), gt_u: bin(i32, cmp + 6), le_s: bin(i32, cmp + 7), le_u: bin(i32, cmp + 8), ge_s: bin(i32, cmp + 9),
      ge_u: bin(i32, cmp + 10),
      add: bin(type, arith), sub: bin(type, arith + 1), mul: bin(type, arith + 2), div_s: bin(type, arith + 3),
      div_u: bin(type, arith + 4), rem_s: bin(type, arith + 5), rem_u: bin(type, arith + 6), and: bin(type, arith + 7),
      or: bin(type, arith + 8), xor: bin(type, arith + 9), shl: bin(type, arith + 10), shr_s: bin(type, arith + 11),
      shr_u: bin(type, arith + 12),
    });
    this.i32 = {
      ...intOps(i32, 0x45, 0x6a),
      const: (v: number) => {
        const key = v | 0;
        let e = this.i32Consts.get(key);
        if (e === undefined) {
          const b = [0x41];
          sleb32(b, key);
          e = op(i32, NO_KIDS, b);
          this.i32Consts.set(key, e);
        }
        return e;
      },
      wrap: un(i32, 0xa7), rotl: bin(i32, 0x77), rotr: bin(i32, 0x78), extend8_s: un(i32, 0xc0), extend16_s: un(i32, 0xc1),
      load: load(i32, 0x28), load8_u: load(i32, 0x2d), load16_u: load(i32, 0x2f), store: store(0x36),
      atomic: { load: (offset: number, ptr: Expr) => op(i32, [ptr], memarg([0xfe, 0x10], 4, offset)), rmw: rmw(i32, 0x1e) },
    };
    this.i64 = {
      ...intOps(i64, 0x50, 0x7c),
      const: (v: bigint) => {
        const key = BigInt.asIntN(64, v);
        let e = this.i64Consts.get(key);
        if (e === undefined) {
          const b = [0x42];
          sleb64(b, key);
          e = op(i64, NO_KIDS, b);
          this.i64Consts.set(key, e);
        }
        return e;
      },
      extend_u: un(i64, 0xad), extend8_s: un(i64, 0xc2), extend16_s: un(i64, 0xc3), extend32_s: un(i64, 0xc4),
      load: load(i64, 0x29), load8_s: load(i64, 0x30), load8_u: load(i64, 0x31), load16_s: load(i64, 0x32),
      load16_u: load(i64, 0x33), load32_s: load(i64, 0x34), load32_u: load(i64, 0x35),
      store: store(0x37), store8: store(0x3c), store16: store(0x3d), store32: store(0x3e),
      atomic: { rmw: rmw(i64, 0x1f) },
    };
    const localSets: (readonly number[])[] = [];
    this.local = {
      get: (index, type) => {
        const cache = type === i64 ? this.i64Gets : this.i32Gets;
        let e = cache[index];
        if (e === undefined) {
          const b = [0x20];
          uleb(b, index);
          e = op(type, NO_KIDS, b);
          cache[index] = e;
        }
        return e;
      },
      set: (index, value) => {
        let b = localSets[index];
        if (b === undefined) {
          const bytes = [0x21];
          uleb(bytes, index);
          localSets[index] = b = bytes;
        }
        return op(none, [value], b);
      },
    };
    this.global = {
      get: (name, type) => this.add({ kind: 'global', type, kids: NO_KIDS, bytes: GLOBAL_GET, name }),
      set: (name, value) => this.add({ kind: 'global', type: none, kids: [value], bytes: GLOBAL_SET, name }),
    };
    this.tailTable = {
      size: (table) => this.add({ kind: 'table', type: i32, kids: NO_KIDS, bytes: [0xfc, 0x10], name: table }),
      isNull: (table, index) => op(i32, [this.add({ kind: 'table', type: i32, kids: [index], bytes: [0x25], name: table })], [0xd1]),
      returnCallIndirect: (table, index, operands, params, result) =>
        this.add({ kind: 'table', type: binaryen.unreachable, kids: [...operands, index], bytes: [0x13], name: table, sig: { params, result } }),
    };
    this.structure = dominatorTreeStructurer(this);
  }

  get ir(): IrBuilder {
    return this;
  }

  private add(node: Node): Expr {
    this.nodes.push(new StoredNode(node.kind, node.type, node.kids, node.bytes, node.label ?? null, node.name, node.sig));
    return this.nodes.length - 1;
  }

  private typeOf(e: Expr | undefined): ValueType {
    return e === undefined ? binaryen.none : this.nodes[e]!.type;
  }

  block(label: string | null, children: Expr[], type?: ValueType): Expr {
    const last = this.typeOf(children[children.length - 1]);
    return this.add({ kind: 'block', type: type ?? (isValue(last) ? last : binaryen.none), kids: children, bytes: NO_KIDS, label });
  }

  if(condition: Expr, ifTrue: Expr, ifFalse?: Expr): Expr {
    const t = this.typeOf(ifTrue);
    const type = ifFalse === undefined ? binaryen.none : isValue(t) ? t : this.typeOf(ifFalse);
    const kids = ifFalse === undefined ? [condition, ifTrue] : [condition, ifTrue, ifFalse];
    return this.add({ kind: 'if', type: isValue(type) ? type : binaryen.none, kids, bytes: NO_KIDS });
  }

  loop(label: string | null, body: Expr): Expr {
    return this.add({ kind: 'loop', type: binaryen.none, kids: [body], bytes: NO_KIDS, label });
  }

  br(label: string, condition?: Expr): Expr {
    const conditional = condition !== undefined;
    return this.add({ kind: 'br', type: conditional ? binaryen.none : binaryen.unreachable, kids: conditional ? [condition] : NO_KIDS, bytes: conditional ? BR_IF : BR, label });
  }

  select(condition: Expr, ifTrue: Expr, ifFalse: Expr): Expr {
    return this.add({ kind: 'op', type: this.typeOf(ifTrue), kids: [ifTrue, ifFalse, condition], bytes: SELECT });
  }

  drop(value: Expr): Expr {
    return this.add({ kind: 'op', type: binaryen.none, kids: [value], bytes: DROP });
  }

  return(value?: Expr): Expr {
    return this.add({ kind: 'op', type: binaryen.unreachable, kids: value === undefined ? NO_KIDS : [value], bytes: RETURN });
  }

  call(name: string, operands: Expr[], returnType: ValueType): Expr {
    return this.add({ kind: 'call', type: returnType, kids: operands, bytes: CALL, name });
  }

  unreachable(): Expr {
    return this.add({ kind: 'op', type: binaryen.unreachable, kids: NO_KIDS, bytes: UNREACHABLE });
  }

  importMemory(): void {
    this.memoryImported = true;
  }

  importGlobal(name: string, field: string, type: ValueType): void {
    this.imports.push({ kind: 'global', name, field, type });
  }

  importTable(name: string, field: string): void {
    this.imports.push({ kind: 'table', name, field });
  }

  importFunction(name: string, field: string, params: readonly ValueType[], result: ValueType): void {
    this.imports.push({ kind: 'func', name, field, params, result });
  }

  addMutableGlobal(name: string, type: ValueType, initial: number): void {
    this.globals.push({ name, type, initial });
  }

  exportGlobal(name: string, field: string): void {
    this.exports.push({ kind: 'global', name, field });
  }

  exportFunction(name: string, field: string): void {
    this.exports.push({ kind: 'func', name, field });
  }

  hasFunction(name: string): boolean {
    return this.functionNames.has(name);
  }

  addFunction(name: string, params: readonly ValueType[], result: ValueType, vars: readonly ValueType[], body: Expr): void {
    this.functionNames.add(name);
    this.functions.push({ name, params, result, vars, body });
  }

  dispose(): void {
    this.reset();
  }

  private reset(): void {
    this.nodes.length = 0;
    this.i32Gets = [];
    this.i64Gets = [];
    this.i32Consts.clear();
    this.i64Consts.clear();
  }

  finish(): Uint8Array {
    const types: string[] = [];
    const typeBytes: number[][] = [];
    const typeIndex = (params: readonly ValueType[], result: ValueType): number => {
      const sig: number[] = [0x60];
      uleb(sig, params.length);
      for (const p of params) sig.push(valType(p));
      if (isValue(result)) sig.push(1, valType(result));
      else sig.push(0);
      const key = sig.join(',');
      let i = types.indexOf(key);
      if (i < 0) {
        i = types.length;
        types.push(key);
        typeBytes.push(sig);
      }
      return i;
    };
    const funcIndex = new Map<string, number>();
    const globalIndex = new Map<string, number>();
    const tableIndex = new Map<string, number>();
    this.typeIndexOf = typeIndex;
    const importSec: number[] = [];
    let importCount = 0;
    const name = (out: number[], s: string): void => {
      const b = Buffer.from(s, 'utf8');
      uleb(out, b.length);
      for (const x of b) out.push(x);
    };
    if (this.memoryImported) {
      name(importSec, 'env');
      name(importSec, 'memory');
      importSec.push(0x02, 0x03); // memory, limits: shared with maximum
      uleb(importSec, 1);
      uleb(importSec, 65536);
      importCount++;
    }
    for (const imp of this.imports) {
      name(importSec, 'env');
      name(importSec, imp.field);
      if (imp.kind === 'func') {
        importSec.push(0x00);
        uleb(importSec, typeIndex(imp.params!, imp.result!));
        funcIndex.set(imp.name, funcIndex.size);
      } else if (imp.kind === 'table') {
        importSec.push(0x01, 0x70, 0x00, 0x00); // funcref, limits min 0, no maximum
        tableIndex.set(imp.name, tableIndex.size);
      } else {
        importSec.push(0x03, valType(imp.type!), 0x00);
        globalIndex.set(imp.name, globalIndex.size);
      }
      importCount++;
    }
    for (const f of this.functions) funcIndex.set(f.name, funcIndex.size);
    for (const g of this.globals) globalIndex.set(g.name, globalIndex.size);

    const funcSec: number[] = [];
    uleb(funcSec, this.functions.length);
    for (const f of this.functions) uleb(funcSec, typeIndex(f.params, f.result));

    const globalSec: number[] = [];
    uleb(globalSec, this.globals.length);
    for (const g of this.globals) {
      globalSec.push(valType(g.type), 0x01, 0x41);
      sleb32(globalSec, g.initial);
      globalSec.push(0x0b);
    }

    const exportSec: number[] = [];
    uleb(exportSec, this.exports.length);
    for (const e of this.exports) {
      name(exportSec, e.field);
      exportSec.push(e.kind === 'func' ? 0x00 : 0x03);
      uleb(exportSec, e.kind === 'func' ? funcIndex.get(e.name)! : globalIndex.get(e.name)!);
    }

    const codeSec = new ByteWriter();
    codeSec.uleb(this.functions.length);
    const body = new ByteWriter();
    for (const f of this.functions) {
      body.length = 0;
      const groups: [number, number][] = [];
      for (const v of f.vars) {
        const t = valType(v);
        const lastGroup = groups[groups.length - 1];
        if (lastGroup !== undefined && lastGroup[1] === t) lastGroup[0]++;
        else groups.push([1, t]);
      }
      body.uleb(groups.length);
      for (const [count, t] of groups) {
        body.uleb(count);
        body.byte(t);
      }
      this.emit(f.body, { out: body, funcs: funcIndex, globals: globalIndex, tables: tableIndex, labelLevel: new Map(), level: 0 });
      body.byte(0x0b);
      codeSec.uleb(body.length);
      codeSec.append(body);
    }

    const typeSec: number[] = [];
    uleb(typeSec, typeBytes.length);
    for (const t of typeBytes) for (const b of t) typeSec.push(b);
    const importVec: number[] = [];
    uleb(importVec, importCount);

    const out = new ByteWriter();
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, ...parts: number[][]): void => {
      out.byte(id);
      out.uleb(parts.reduce((n, p) => n + p.length, 0));
      for (const p of parts) out.bytes(p);
    };
    section(1, typeSec);
    section(2, importVec, importSec);
    section(3, funcSec);
    section(6, globalSec);
    section(7, exportSec);
    out.byte(10);
    out.uleb(codeSec.length);
    out.append(codeSec);
    this.reset();
    return out.result();
  }

  /**
   * Post-order flattening. A label's branch depth comes from the nesting level where its innermost enclosing
   * block opened (`labelLevel`, saved and restored around shadowing blocks), not from a search of the label
   * stack: merge blocks nest hundreds deep in a large program.
   */
  private emit(e: Expr, st: EmitState): void {
    const n = this.nodes[e]!;
    const kids = n.kids;
    switch (n.kind) {
      case 'table':
        for (let i = 0; i < kids.length; i++) this.emit(kids[i]!, st);
        st.out.bytes(n.bytes);
        if (n.sig !== undefined) st.out.uleb(this.typeIndexOf(n.sig.params, n.sig.result));
        st.out.uleb(st.tables.get(n.name!)!);
        return;
      case 'op':
        for (let i = 0; i < kids.length; i++) this.emit(kids[i]!, st);
        st.out.bytes(n.bytes);
        return;
      case 'global':
        for (let i = 0; i < kids.length; i++) this.emit(kids[i]!, st);
        st.out.byte(n.bytes[0]!);
        st.out.uleb(st.globals.get(n.name!)!);
        return;
      case 'call':
        for (let i = 0; i < kids.length; i++) this.emit(kids[i]!, st);
        st.out.byte(0x10);
        st.out.uleb(st.funcs.get(n.name!)!);
        return;
      case 'br': {
        for (let i = 0; i < kids.length; i++) this.emit(kids[i]!, st);
        const level = st.labelLevel.get(n.label!);
        if (level === undefined) throw new Error(`wasm emitter: br to '${n.label}' outside its block`);
        st.out.byte(n.bytes[0]!);
        st.out.uleb(st.level - 1 - level);
        return;
      }
      case 'block':
      case 'loop': {
        st.out.byte(n.kind === 'block' ? 0x02 : 0x03);
        st.out.byte(blockType(n.type));
        const label = n.label;
        const outer = label === null ? undefined : st.labelLevel.get(label);
        if (label !== null) st.labelLevel.set(label, st.level);
        st.level++;
        for (let i = 0; i < kids.length; i++) this.emit(kids[i]!, st);
        st.level--;
        if (label !== null) {
          if (outer === undefined) st.labelLevel.delete(label);
          else st.labelLevel.set(label, outer);
        }
        st.out.byte(0x0b);
        return;
      }
      case 'if':
        this.emit(kids[0]!, st);
        st.out.byte(0x04);
        st.out.byte(blockType(n.type));
        st.level++;
        this.emit(kids[1]!, st);
        if (kids.length > 2) {
          st.out.byte(0x05);
          this.emit(kids[2]!, st);
        }
        st.level--;
        st.out.byte(0x0b);
    }
  }
}
