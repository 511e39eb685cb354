/**
 * Compiled-module cache (design.md §3): keyed by the program bytes *and* everything the code was specialised
 * on — the header of every map the program names (inline lookups bake in layout constants), the frozen
 * read-only data whose loads were folded, the backend, -O level and stack promotion, and the harden flag — so a
 * program reloaded against the same maps and `.rodata` reuses its wasm, and any change compiles afresh.
 * Least-recently-used entries are dropped past `capacity`.
 */
import { createHash } from 'node:crypto';
import { OP_LD_IMM64, encodeInsns, imm64At } from '../src/ebpf/insn.js';
import { PseudoSrc } from '../src/ebpf/opcodes.js';
import { compileProgram, type CompiledProgram, type JitOptions, type JitProgram } from './compile.js';
import { createInlineHelpers } from './inline-helpers.js';
import { createTailCallLowering } from './tail-call-table.js';
import { compileChain, type ChainConfig } from './chain.js';
import { mapHeaderBytes } from './map-layout.js';
import type { ReadOnlyData } from './function-builder.js';
import { newBlindingKey, type Region } from './harden.js';

export interface CacheSpecialisation {
  /** The arena's bytes: map headers are read from it and, when given, hot map lookups are inlined. */
  readonly arena?: { readonly u8: Uint8Array; readonly u32: Uint32Array };
  readonly readOnly?: readonly ReadOnlyData[];
  readonly harden?: boolean;
  /** Hardened modules: every map's value storage by header address (accesses are masked to these). */
  readonly mapValues?: ReadonlyMap<number, Region>;
  readonly optimizeLevel?: JitOptions['optimizeLevel'];
  readonly backend?: JitOptions['backend'];
  readonly promoteStack?: boolean;
}

export function moduleCacheKey(program: JitProgram, spec: CacheSpecialisation): string {
  const h = createHash('sha256');
  h.update(encodeInsns(program.insns));
  h.update(JSON.stringify({
    funcs: program.funcs.map((f) => f.insn),
    optimizeLevel: spec.optimizeLevel ?? 0,
    backend: spec.backend ?? 'default',
    promoteStack: spec.promoteStack ?? true,
    harden: spec.harden ?? false,
    inline: spec.arena !== undefined,
  }));
  if (spec.arena !== undefined) {
    const insns = program.insns;
    for (let i = 0; i < insns.length; i++) {
      if (insns[i]!.code === OP_LD_IMM64 && insns[i]!.src === PseudoSrc.MAP_FD) {
        h.update(`map@${i}`);
        h.update(mapHeaderBytes(spec.arena.u8, Number(imm64At(insns, i))));
      }
    }
  }
  if (spec.harden === true) {
    for (const [map, r] of spec.mapValues ?? []) h.update(`values@${map}:${r.start}-${r.end}`);
  }
  for (const ro of spec.readOnly ?? []) {
    h.update(`ro@${ro.addr}:${ro.bytes.length}`);
    h.update(ro.bytes);
  }
  return h.digest('hex');
}

export class CompiledModuleCache {
  private readonly entries = new Map<string, CompiledProgram>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity = 256) {}

  get size(): number {
    return this.entries.size;
  }

  getOrCompile(program: JitProgram, spec: CacheSpecialisation = {}): CompiledProgram {
    const key = moduleCacheKey(program, spec);
    const found = this.entries.get(key);
    if (found !== undefined) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, found);
      return found;
    }
    this.misses++;
    return this.remember(key, compileProgram(program, jitOptions(spec)));
  }

  /** A fused chain (jit/chain.ts), keyed by its programs' keys and configs. */
  getOrCompileChain(programs: readonly JitProgram[], configs: readonly ChainConfig[], spec: CacheSpecialisation = {}): CompiledProgram {
    const h = createHash('sha256');
    for (const p of programs) h.update(moduleCacheKey(p, spec));
    h.update(JSON.stringify(configs.map((c) => [c.priority, c.chainCallActions])));
    const key = `chain:${h.digest('hex')}`;
    const found = this.entries.get(key);
    if (found !== undefined) {
      this.hits++;
      return found;
    }
    this.misses++;
    return this.remember(key, compileChain(programs, configs, jitOptions(spec)));
  }

  private remember(key: string, compiled: CompiledProgram): CompiledProgram {
    this.entries.set(key, compiled);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return compiled;
  }
}

function jitOptions(spec: CacheSpecialisation): JitOptions {
  return {
    ...(spec.optimizeLevel !== undefined ? { optimizeLevel: spec.optimizeLevel } : {}),
    ...(spec.backend !== undefined ? { backend: spec.backend } : {}),
    ...(spec.promoteStack !== undefined ? { promoteStack: spec.promoteStack } : {}),
    ...(spec.arena !== undefined ? { inlineHelper: createInlineHelpers(spec.arena.u32), tailCalls: createTailCallLowering(spec.arena.u32) } : {}),
    ...(spec.readOnly !== undefined ? { readOnly: spec.readOnly } : {}),
    ...(spec.harden === true ? { harden: { key: newBlindingKey(), mapValues: spec.mapValues ?? new Map() } } : {}),
  };
}
