/**
 * Map keys and values as JSON, read through their BTF type (what `bpftool map dump` prints for objects with
 * BTF): integers as numbers, or as decimal strings above 2^53 (design.md §6); `char` arrays as strings up
 * to the first NUL; structs and unions as objects (bitfields extracted, little-endian); enums as the
 * enumerator's name when one matches; pointers as integers. Bytes are read little-endian (bpfel only).
 */
import type { BtfSpec } from './btf.js';
import { IntEncoding } from './btf-types.js';
import type { GlobalVarSpec } from '../object-spec.js';

export type JsonValue = number | string | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/** Deepest nesting rendered; deeper (only possible in corrupt BTF) renders as null. */
const MAX_DEPTH = 32;

export function btfValueToJson(btf: BtfSpec, typeId: number, bytes: Uint8Array): JsonValue {
  return render(btf, typeId, bytes, 0, 0);
}

/** A global-data map value (.rodata, .data, .bss...) as `{ variable: value }` from MapSpec.globals. */
export function globalsToJson(btf: BtfSpec, globals: readonly GlobalVarSpec[], bytes: Uint8Array): { [k: string]: JsonValue } {
  const out: { [k: string]: JsonValue } = {};
  for (const g of globals) {
    if (g.btfType === undefined || g.offset + g.size > bytes.length) continue;
    out[g.name] = render(btf, g.btfType, bytes.subarray(g.offset, g.offset + g.size), 0, 0);
  }
  return out;
}

function readUnsigned(bytes: Uint8Array, byteOff: number, size: number): bigint {
  let v = 0n;
  for (let i = Math.min(size, bytes.length - byteOff) - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[byteOff + i] ?? 0);
  return v;
}

function intJson(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
}

function render(btf: BtfSpec, typeId: number, bytes: Uint8Array, byteOff: number, depth: number): JsonValue {
  if (depth > MAX_DEPTH) return null;
  let t;
  try {
    t = btf.resolve(typeId);
  } catch {
    return null;
  }
  switch (t.kind) {
    case 'int': {
      let v = readUnsigned(bytes, byteOff, t.size);
      if (t.encoding & IntEncoding.BOOL) return v !== 0n;
      if (t.encoding & IntEncoding.SIGNED) v = BigInt.asIntN(t.size * 8, v);
      return intJson(v);
    }
    case 'ptr':
      return intJson(readUnsigned(bytes, byteOff, 8));
    case 'enum': case 'enum64': {
      let v = readUnsigned(bytes, byteOff, t.size);
      if (t.signed) v = BigInt.asIntN(t.size * 8, v);
      return t.values.find((e) => e.value === v)?.name ?? intJson(v);
    }
    case 'float': {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (byteOff + t.size > bytes.length) return null;
      return t.size === 4 ? dv.getFloat32(byteOff, true) : t.size === 8 ? dv.getFloat64(byteOff, true) : null;
    }
    case 'array': {
      const elem = btf.resolve(t.elemType);
      let elemSize: number;
      try {
        elemSize = btf.sizeOf(t.elemType);
      } catch {
        return null;
      }
      const n = Math.min(t.nelems, elemSize > 0 ? Math.floor((bytes.length - byteOff) / elemSize) : 0);
      if (elem.kind === 'int' && elemSize === 1 && (elem.encoding & IntEncoding.CHAR || elem.name === 'char')) {
        const raw = bytes.subarray(byteOff, byteOff + n);
        const end = raw.indexOf(0);
        return new TextDecoder().decode(end < 0 ? raw : raw.subarray(0, end));
      }
      const out: JsonValue[] = [];
      for (let i = 0; i < n; i++) out.push(render(btf, t.elemType, bytes, byteOff + i * elemSize, depth + 1));
      return out;
    }
    case 'struct': case 'union': {
      const out: { [k: string]: JsonValue } = {};
      t.members.forEach((m, i) => {
        const name = m.name || `@${i}`;
        if (m.bitfieldSize > 0) {
          const start = byteOff + Math.floor(m.bitOffset / 8);
          const shift = BigInt(m.bitOffset % 8);
          const raw = readUnsigned(bytes, start, Math.ceil((Number(shift) + m.bitfieldSize) / 8));
          let v = (raw >> shift) & ((1n << BigInt(m.bitfieldSize)) - 1n);
          const mt = btf.resolve(m.type);
          if ((mt.kind === 'int' && mt.encoding & IntEncoding.SIGNED) || ((mt.kind === 'enum' || mt.kind === 'enum64') && mt.signed)) {
            v = BigInt.asIntN(m.bitfieldSize, v);
          }
          out[name] = intJson(v);
        } else {
          out[name] = render(btf, m.type, bytes, byteOff + Math.floor(m.bitOffset / 8), depth + 1);
        }
      });
      return out;
    }
    default:
      return null;
  }
}
