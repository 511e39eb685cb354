/**
 * The JIT as the runtime's XdpEngine (src/vm/runtime/engine.ts). A program is compiled once per
 * specialisation (module cache: program bytes, the headers of the maps it names, frozen `.rodata`) and
 * instantiated once per CPU against the runtime's arena; helpers are the runtime's own implementations,
 * reached through the trampoline, except the hot ones jit/inline-helpers.ts lowers.
 *
 * Instantiation, the per-CPU tail-call tables and the prepared program's `runFrame` / `runBatch` (one
 * JS→wasm call for n descriptors, design.md §3) live in jit/jit-runner.ts, which needs no Binaryen: a
 * data-plane worker runs the modules compiled here with it. `harden` compiles with address masking and
 * constant blinding (jit/harden.ts); `prepareChain` fuses a libxdp-style chain into one module (jit/chain.ts).
 */
import type { ExecProgram } from '../src/vm/exec-types.js';
import { type EngineFactory, type EngineOptions, type XdpEngine } from '../src/vm/runtime/engine.js';
import type { Runtime } from '../src/vm/runtime/runtime.js';
import type { CompiledProgram, JitOptions } from './compile.js';
import type { ReadOnlyData } from './function-builder.js';
import type { Region } from './harden.js';
import { CompiledModuleCache, type CacheSpecialisation } from './module-cache.js';
import type { ChainConfig } from './chain.js';
import { JitRunner, type PreparedJitXdp } from './jit-runner.js';

export type { PreparedJitXdp } from './jit-runner.js';

export interface JitEngineOptions extends EngineOptions {
  readonly optimizeLevel?: JitOptions['optimizeLevel'];
  readonly backend?: JitOptions['backend'];
  /** Shared between engines of one process so reloading the same object reuses its modules. */
  readonly cache?: CompiledModuleCache;
}

const processCache = new CompiledModuleCache();

export class JitEngine implements XdpEngine {
  readonly name = 'jit' as const;
  private readonly cache: CompiledModuleCache;
  private readonly runner: JitRunner;

  constructor(private readonly runtime: Runtime, private readonly options: JitEngineOptions = {}) {
    this.cache = options.cache ?? processCache;
    this.runner = new JitRunner(runtime, (p) => this.compile(p));
  }

  /** Frozen global data (libbpf freezes .rodata before load): loads from it fold to constants. */
  private readOnlyData(): ReadOnlyData[] {
    const u8 = this.runtime.arena.u8;
    const out: ReadOnlyData[] = [];
    for (const d of this.runtime.describe().maps) {
      if (!d.readOnly || !d.global) continue;
      const map = this.runtime.maps.get(d.name);
      if (map === undefined) continue;
      const addr = map.lookup(new Uint8Array(4), 0);
      if (addr !== 0) out.push({ addr, bytes: u8.slice(addr, addr + map.params.valueSize) });
    }
    return out;
  }

  /** --harden: each map's value storage, the object an access through its value pointers is masked to. */
  private mapValueRegions(): Map<number, Region> {
    const out = new Map<number, Region>();
    for (const map of this.runtime.maps.values()) out.set(map.addr, { start: map.valueStart, end: map.valueEnd });
    return out;
  }

  private compile(program: ExecProgram): CompiledProgram {
    return this.cache.getOrCompile(program, this.specialisation());
  }

  private specialisation(): CacheSpecialisation {
    return {
      arena: this.runtime.arena,
      readOnly: this.readOnlyData(),
      ...(this.options.harden === true ? { harden: true, mapValues: this.mapValueRegions() } : {}),
      ...(this.options.optimizeLevel !== undefined ? { optimizeLevel: this.options.optimizeLevel } : {}),
      ...(this.options.backend !== undefined ? { backend: this.options.backend } : {}),
    };
  }

  prepare(program: ExecProgram): PreparedJitXdp {
    return this.runner.prepare(this.compile(program), [program], program);
  }

  /**
   * A libxdp-style chain fused into one module (jit/chain.ts): `programs` with their `.xdp_run_config`
   * (ObjectSpec.runConfigs) or the attach request's priority / chain_call_actions; runs in priority order.
   */
  prepareChain(programs: readonly ExecProgram[], configs: readonly ChainConfig[]): PreparedJitXdp {
    return this.runner.prepare(this.cache.getOrCompileChain(programs, configs, this.specialisation()), programs, undefined);
  }
}

/** For src/vm/runtime/engines.ts: `jit: (runtime, opts) => createJitEngine(runtime, opts)`. */
export const createJitEngine: EngineFactory = async (runtime, opts) => new JitEngine(runtime, opts);
