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
  private readonly nodes: Node[] = [];
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
  /** Type section index of a signature, during finish(). */
  private typeIndexOf: (params: readonly ValueType[], result: ValueType) => number = () => 0;

  constructor() {
    const { i32, i64, none } = binaryen;
    const op = (type: ValueType, kids: readonly Expr[], ...bytes: number[]): Expr => this.add({ kind: 'op', type, kids, bytes });
    const un = (type: ValueType, code: number) => (v: Expr): Expr => op(type, [v], code);
    const bin = (type: ValueType, code: number) => (a: Expr, b: Expr): Expr => op(type, [a, b], code);
    const memarg = (code: number[], align: number, offset: number): number[] => {
      const out = [...code, log2(align)];
      uleb(out, offset);
      return out;
    };
    const load = (type: ValueType, code: number) => (offset: number, align: number, ptr: Expr): Expr =>
      op(type, [ptr], ...memarg([code], align, offset));
    const store = (code: number) => (offset: number, align: number, ptr: Expr, value: Expr): Expr =>
      op(none, [ptr, value], ...memarg([code], align, offset));
    const rmw = (type: ValueType, base: number): AtomicRmw => {
      const size = type === i64 ? 8 : 4;
      const f = (group: number) => (offset: number, ptr: Expr, value: Expr): Expr =>
        op(type, [ptr, value], ...memarg([0xfe, base + group], size, offset));
      return {
        add: f(0x00), and: f(0x0e), or: f(0x15), xor: f(0x1c), xchg: f(0x23),
        cmpxchg: (offset, ptr, expected, replacement) => op(type, [ptr, expected, replacement], ...memarg([0xfe, base + 0x2a], size, offset)),
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
      const: (v: number) => { const b = [0x41]; sleb32(b, v); return op(i32, [], ...b); },
      wrap: un(i32, 0xa7), rotl: bin(i32, 0x77), rotr: bin(i32, 0x78), extend8_s: un(i32, 0xc0), extend16_s: un(i32, 0xc1),
      load: load(i32, 0x28), load8_u: load(i32, 0x2d), load16_u: load(i32, 0x2f), store: store(0x36),
      atomic: { load: (offset: number, ptr: Expr) => op(i32, [ptr], ...memarg([0xfe, 0x10], 4, offset)), rmw: rmw(i32, 0x1e) },
    };
    this.i64 = {
      ...intOps(i64, 0x50, 0x7c),
      const: (v: bigint) => { const b = [0x42]; sleb64(b, v); return op(i64, [], ...b); },
      extend_u: un(i64, 0xad), extend8_s: un(i64, 0xc2), extend16_s: un(i64, 0xc3), extend32_s: un(i64, 0xc4),
      load: load(i64, 0x29), load8_s: load(i64, 0x30), load8_u: load(i64, 0x31), load16_s: load(i64, 0x32),
      load16_u: load(i64, 0x33), load32_s: load(i64, 0x34), load32_u: load(i64, 0x35),
      store: store(0x37), store8: store(0x3c), store16: store(0x3d), store32: store(0x3e),
      atomic: { rmw: rmw(i64, 0x1f) },
    };
    this.local = {
      get: (index, type) => { const b = [0x20]; uleb(b, index); return op(type, [], ...b); },
      set: (index, value) => { const b = [0x21]; uleb(b, index); return op(none, [value], ...b); },
    };
    this.global = {
      get: (name, type) => this.add({ kind: 'global', type, kids: [], bytes: [0x23], name }),
      set: (name, value) => this.add({ kind: 'global', type: none, kids: [value], bytes: [0x24], name }),
    };
    this.tailTable = {
      size: (table) => this.add({ kind: 'table', type: i32, kids: [], bytes: [0xfc, 0x10], name: table }),
      isNull: (table, index) => op(i32, [this.add({ kind: 'table', type: i32, kids: [index], bytes: [0x25], name: table })], 0xd1),
      returnCallIndirect: (table, index, operands, params, result) =>
        this.add({ kind: 'table', type: binaryen.unreachable, kids: [...operands, index], bytes: [0x13], name: table, sig: { params, result } }),
    };
    this.structure = dominatorTreeStructurer(this);
  }

  get ir(): IrBuilder {
    return this;
  }

  private add(node: Node): Expr {
    this.nodes.push(node);
    return this.nodes.length - 1;
  }

  private typeOf(e: Expr | undefined): ValueType {
    return e === undefined ? binaryen.none : this.nodes[e]!.type;
  }

  block(label: string | null, children: Expr[], type?: ValueType): Expr {
    const last = this.typeOf(children[children.length - 1]);
    return this.add({ kind: 'block', type: type ?? (isValue(last) ? last : binaryen.none), kids: children, bytes: [], label });
  }

  if(condition: Expr, ifTrue: Expr, ifFalse?: Expr): Expr {
    const t = this.typeOf(ifTrue);
    const type = ifFalse === undefined ? binaryen.none : isValue(t) ? t : this.typeOf(ifFalse);
    const kids = ifFalse === undefined ? [condition, ifTrue] : [condition, ifTrue, ifFalse];
    return this.add({ kind: 'if', type: isValue(type) ? type : binaryen.none, kids, bytes: [] });
  }

  loop(label: string | null, body: Expr): Expr {
    return this.add({ kind: 'loop', type: binaryen.none, kids: [body], bytes: [], label });
  }

  br(label: string, condition?: Expr): Expr {
    const conditional = condition !== undefined;
    return this.add({ kind: 'br', type: conditional ? binaryen.none : binaryen.unreachable, kids: conditional ? [condition] : [], bytes: [conditional ? 0x0d : 0x0c], label });
  }

  select(condition: Expr, ifTrue: Expr, ifFalse: Expr): Expr {
    return this.add({ kind: 'op', type: this.typeOf(ifTrue), kids: [ifTrue, ifFalse, condition], bytes: [0x1b] });
  }

  drop(value: Expr): Expr {
    return this.add({ kind: 'op', type: binaryen.none, kids: [value], bytes: [0x1a] });
  }

  return(value?: Expr): Expr {
    return this.add({ kind: 'op', type: binaryen.unreachable, kids: value === undefined ? [] : [value], bytes: [0x0f] });
  }

  call(name: string, operands: Expr[], returnType: ValueType): Expr {
    return this.add({ kind: 'call', type: returnType, kids: operands, bytes: [0x10], name });
  }

  unreachable(): Expr {
    return this.add({ kind: 'op', type: binaryen.unreachable, kids: [], bytes: [0x00] });
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
    this.nodes.length = 0;
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
      this.emit(f.body, body, [], funcIndex, globalIndex, tableIndex);
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
    this.nodes.length = 0;
    return out.result();
  }

  /** Post-order flattening; `labels` is the stack of enclosing block/loop/if labels (null: unnamed). */
  private emit(e: Expr, out: ByteWriter, labels: (string | null)[], funcs: Map<string, number>, globals: Map<string, number>, tables: Map<string, number>): void {
    const n = this.nodes[e]!;
    switch (n.kind) {
      case 'table':
        for (const k of n.kids) this.emit(k, out, labels, funcs, globals, tables);
        out.bytes(n.bytes);
        if (n.sig !== undefined) out.uleb(this.typeIndexOf(n.sig.params, n.sig.result));
        out.uleb(tables.get(n.name!)!);
        return;
      case 'op':
        for (const k of n.kids) this.emit(k, out, labels, funcs, globals, tables);
        out.bytes(n.bytes);
        return;
      case 'global':
        for (const k of n.kids) this.emit(k, out, labels, funcs, globals, tables);
        out.byte(n.bytes[0]!);
        out.uleb(globals.get(n.name!)!);
        return;
      case 'call':
        for (const k of n.kids) this.emit(k, out, labels, funcs, globals, tables);
        out.byte(0x10);
        out.uleb(funcs.get(n.name!)!);
        return;
      case 'br': {
        for (const k of n.kids) this.emit(k, out, labels, funcs, globals, tables);
        const depth = labels.lastIndexOf(n.label!);
        if (depth < 0) throw new Error(`wasm emitter: br to '${n.label}' outside its block`);
        out.byte(n.bytes[0]!);
        out.uleb(labels.length - 1 - depth);
        return;
      }
      case 'block':
      case 'loop':
        out.byte(n.kind === 'block' ? 0x02 : 0x03);
        out.byte(blockType(n.type));
        labels.push(n.label ?? null);
        for (const k of n.kids) this.emit(k, out, labels, funcs, globals, tables);
        labels.pop();
        out.byte(0x0b);
        return;
      case 'if':
        this.emit(n.kids[0]!, out, labels, funcs, globals, tables);
        out.byte(0x04);
        out.byte(blockType(n.type));
        labels.push(null);
        this.emit(n.kids[1]!, out, labels, funcs, globals, tables);
        if (n.kids.length > 2) {
          out.byte(0x05);
          this.emit(n.kids[2]!, out, labels, funcs, globals, tables);
        }
        labels.pop();
        out.byte(0x0b);
    }
  }
}
