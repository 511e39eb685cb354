/**
 * The JIT as the runtime's XdpEngine (src/vm/runtime/engine.ts). A program is compiled once per
 * specialisation (module cache: program bytes, the headers of the maps it names, frozen `.rodata`) and
 * instantiated once per CPU against the runtime's arena; helpers are the runtime's own implementations,
 * reached through the trampoline, except the hot ones jit/inline-helpers.ts lowers.
 *
 * Besides `runFrame` (one frame, the frame runner's path), the prepared program offers `runBatch`: one
 * JS→wasm call for n descriptors (design.md §3), with the redirect-state protocol done inside wasm.
 * `harden` compiles with address masking and constant blinding (jit/harden.ts); tail calls to programs of
 * the runtime go through a per-CPU wasm table (jit/tail-call-table.ts) that gains each program as it is
 * instantiated on that CPU; `prepareChain` fuses a libxdp-style chain into one module (jit/chain.ts).
 */
import { Desc, DESC_SIZE } from '../src/vm/arena-layout.js';
import { CallSrc, Class, JmpOp, XdpAction, classOf, opOf } from '../src/ebpf/opcodes.js';
import type { ExecProgram } from '../src/vm/exec-types.js';
import { RuntimeFault } from '../src/vm/exec-types.js';
import { type EngineFactory, type EngineOptions, type PreparedXdp, type XdpEngine } from '../src/vm/runtime/engine.js';
import type { Runtime } from '../src/vm/runtime/runtime.js';
import type { CompiledProgram, JitOptions } from './compile.js';
import { slotWidth } from './cfg.js';
import type { ReadOnlyData } from './function-builder.js';
import { JitInstance } from './instance.js';
import type { Region } from './harden.js';
import { CompiledModuleCache, type CacheSpecialisation } from './module-cache.js';
import type { ChainConfig } from './chain.js';
import { Wasm, type WasmTable } from './wasm-api.js';

export interface PreparedJitXdp extends PreparedXdp {
  readonly compiled: CompiledProgram;
  /** Helper ids the program calls directly (a caller may keep per-frame JS work, e.g. a capture clock, for these). */
  readonly helperIds: ReadonlySet<number>;
  /**
   * Run the program over `n` descriptors at `desc` (DESC_SIZE apart) on `cpu` in one wasm call: per frame the
   * redirect state is cleared, Desc.ACTION written and, for XDP_REDIRECT, the redirect fields copied (REDIRECT_TO_DESC).
   * A frame that faults (a helper's RuntimeFault, a wasm trap) gets Desc.ERROR = 1 and XDP_ABORTED, and
   * the batch resumes after it.
   */
  runBatch(desc: number, n: number, cpu: number): void;
}

export interface JitEngineOptions extends EngineOptions {
  readonly optimizeLevel?: JitOptions['optimizeLevel'];
  readonly backend?: JitOptions['backend'];
  /** Shared between engines of one process so reloading the same object reuses its modules. */
  readonly cache?: CompiledModuleCache;
}

const processCache = new CompiledModuleCache();

function calledHelpers(program: ExecProgram): Set<number> {
  const ids = new Set<number>();
  const insns = program.insns;
  for (let i = 0; i < insns.length; i += slotWidth(insns[i]!)) {
    const insn = insns[i]!;
    if (classOf(insn.code) === Class.JMP && opOf(insn.code) === JmpOp.CALL && insn.src === CallSrc.HELPER) ids.add(insn.imm);
  }
  return ids;
}

export class JitEngine implements XdpEngine {
  readonly name = 'jit' as const;
  private readonly cache: CompiledModuleCache;
  /** Instances per program name and CPU (tail-call targets are instantiated on demand on the caller's CPU). */
  private readonly instances = new Map<CompiledProgram, Map<number, JitInstance>>();
  /** Per CPU: the tail-call table, indexed by runtime program id (jit/tail-call-table.ts). */
  private readonly progTables = new Map<number, WasmTable>();

  constructor(private readonly runtime: Runtime, private readonly options: JitEngineOptions = {}) {
    this.cache = options.cache ?? processCache;
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

  private progTable(cpu: number): WasmTable {
    let table = this.progTables.get(cpu);
    if (table === undefined) this.progTables.set(cpu, (table = new Wasm.Table({ element: 'anyfunc', initial: this.runtime.programs.size + 1 })));
    return table;
  }

  private instance(compiled: CompiledProgram, cpu: number, program: ExecProgram | undefined): JitInstance {
    let perCpu = this.instances.get(compiled);
    if (perCpu === undefined) this.instances.set(compiled, (perCpu = new Map()));
    let inst = perCpu.get(cpu);
    if (inst === undefined) {
      inst = new JitInstance(compiled, {
        memory: this.runtime.arena.memory,
        cpu,
        helpers: this.runtime.helpers,
        clock: this.runtime.clock,
        tailCallTarget: (target) => this.instance(this.compile(target), cpu, target),
        progTable: this.progTable(cpu),
      });
      perCpu.set(cpu, inst);
      // From now on tail calls to this program on this CPU stay inside wasm.
      const id = program === undefined ? undefined : this.runtime.programId(program.name);
      if (id !== undefined && this.runtime.programById(id) === program) this.progTable(cpu).set(id, inst.tailEntry);
    }
    return inst;
  }

  prepare(program: ExecProgram): PreparedJitXdp {
    return this.prepared(this.compile(program), [program], program);
  }

  /**
   * A libxdp-style chain fused into one module (jit/chain.ts): `programs` with their `.xdp_run_config`
   * (ObjectSpec.runConfigs) or the attach request's priority / chain_call_actions; runs in priority order.
   */
  prepareChain(programs: readonly ExecProgram[], configs: readonly ChainConfig[]): PreparedJitXdp {
    return this.prepared(this.cache.getOrCompileChain(programs, configs, this.specialisation()), programs, undefined);
  }

  private prepared(compiled: CompiledProgram, programs: readonly ExecProgram[], program: ExecProgram | undefined): PreparedJitXdp {
    const arena = this.runtime.arena;
    const helperIds = new Set<number>();
    for (const p of programs) for (const id of calledHelpers(p)) helperIds.add(id);
    return {
      compiled,
      helperIds,
      runFrame: (desc, cpu) => this.instance(compiled, cpu, program).run(BigInt(desc), 0n, desc),
      runBatch: (desc, n, cpu) => {
        const inst = this.instance(compiled, cpu, program);
        const end = desc + n * DESC_SIZE;
        let next = desc;
        while (next < end) {
          try {
            inst.runBatch(next, (end - next) / DESC_SIZE);
            return;
          } catch (err) {
            if (!(err instanceof RuntimeFault) && !(err instanceof Wasm.RuntimeError)) throw err;
            const faulted = inst.currentDesc;
            const u32 = arena.u32;
            u32[(faulted + Desc.ERROR) >>> 2] = 1;
            u32[(faulted + Desc.ACTION) >>> 2] = XdpAction.ABORTED;
            next = faulted + DESC_SIZE;
          }
        }
      },
    };
  }
}

/** For src/vm/runtime/engines.ts: `jit: (runtime, opts) => createJitEngine(runtime, opts)`. */
export const createJitEngine: EngineFactory = async (runtime, opts) => new JitEngine(runtime, opts);
