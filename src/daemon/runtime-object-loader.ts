/**
 * The daemon's loading pipeline over the project's modules: parseObject (src/ebpf) → verify every XDP program
 * (src/verifier) → Runtime.load (maps created in the arena, programs linked) → per attachment, an engine
 * prepared on the main thread (timed: xdpjit_jit_compile_seconds, and any compile error surfaces at attach
 * time as a 422) and the recipe from which every worker builds its own (runtime-processor.ts): for the JIT
 * the recipe carries the compiled WebAssembly modules, so workers instantiate and never compile.
 */
import { parseObject, ObjectFormatError, UnsupportedFeatureError } from '../ebpf/loader.js';
import { MapType, type ObjectSpec } from '../ebpf/object-spec.js';
import { btfValueToJson, globalsToJson } from '../ebpf/btf/btf-json.js';
import { verify } from '../verifier/interpreter.js';
import { VerifierError } from '../verifier/errors.js';
import { ArenaFullError, type Arena } from '../vm/arena.js';
import { Runtime } from '../vm/runtime/runtime.js';
import { VirtualFib } from '../vm/helpers/virtual-fib.js';
import { ENGINES } from '../vm/runtime/engines.js';
import { EngineUnavailableError, type XdpEngine } from '../vm/runtime/engine.js';
import type { ExecProgram } from '../vm/exec-types.js';
import type { CompiledProgram } from '../../jit/compile.js';
import type { PreparedJitXdp } from '../../jit/jit-runner.js';
import { UnsupportedMapTypeError } from '../vm/maps/registry.js';
import type { RuntimeProcessorSpec } from '../dataplane/runtime-processor.js';
import {
  ObjectRejectedError, type EngineName, type LoadedObject, type LoadOptions, type ObjectLoader,
} from './object-loader.js';

const PROCESSOR_MODULE = new URL('../dataplane/runtime-processor.js', import.meta.url).href;

function refusal(err: unknown): ObjectRejectedError | undefined {
  if (err instanceof ObjectFormatError) return new ObjectRejectedError('malformed', err.message, { section: err.section ?? null, byteOffset: err.byteOffset ?? null });
  if (err instanceof UnsupportedFeatureError) return new ObjectRejectedError('unsupported', err.message, { feature: err.feature });
  if (err instanceof UnsupportedMapTypeError) return new ObjectRejectedError('unsupported', err.message, { map: err.mapName, mapType: err.mapType });
  if (err instanceof ArenaFullError) return new ObjectRejectedError('unsupported', err.message, { requested: err.requested, free: err.free, arenaSize: err.arenaSize });
  return undefined;
}

export class RuntimeObjectLoader implements ObjectLoader {
  /**
   * Loaded objects using each map, by header address: a map shared by name (pinned) is freed with the last
   * object that uses it, whichever object created it.
   */
  private readonly mapRefs = new Map<number, number>();

  /** The daemon's virtual FIB (`xdpjit serve --fib`), for the helpers of every runtime loaded here. */
  private readonly virtualFib: VirtualFib | undefined;

  /** `fib`: the FIB's JSON (virtual-fib.ts), or null for the host-less default; workers parse it again. */
  constructor(
    private readonly arena: Arena, private readonly seed = 0, private readonly warn: (msg: string) => void = () => undefined,
    private readonly fib: unknown = null,
  ) {
    this.virtualFib = fib === null ? undefined : VirtualFib.parse(fib);
  }

  /** The JIT's compiler: Binaryen's start-up (about 0.3 s of this thread) happens once, here. */
  async warm(): Promise<void> {
    await import('../../jit/xdp-engine.js');
  }

  async load(bytes: Uint8Array, opts: LoadOptions): Promise<LoadedObject> {
    let spec: ObjectSpec;
    try {
      spec = parseObject(bytes);
    } catch (err) {
      throw refusal(err) ?? err;
    }
    if (spec.programs.length === 0) throw new ObjectRejectedError('malformed', 'no XDP program in the object');
    const verified: Record<string, unknown>[] = [];
    const t0 = performance.now();
    for (const p of spec.programs) {
      try {
        const v = verify(p, spec, { strict: opts.strict });
        verified.push({ name: p.name, section: p.section, accepted: true, insns: v.insnCount, processed: v.processed, states: v.states, ms: v.ms });
      } catch (err) {
        if (err instanceof VerifierError) {
          throw new ObjectRejectedError(err.detail.unsupported ? 'unsupported' : 'verifier_rejected', err.message, { program: err.program, ...err.detail });
        }
        throw refusal(err) ?? err;
      }
    }
    const verifierSeconds = (performance.now() - t0) / 1000;
    for (const m of spec.maps) {
      const live = m.pinning === 'by_name' ? opts.pinnedMaps.get(m.name) : undefined;
      if (!live) continue;
      // libbpf's map_is_reuse_compat: a pinned map is reused only when its definition matches.
      const p = live.params;
      if (p.type !== m.type || p.keySize !== m.keySize || p.valueSize !== m.valueSize || p.maxEntries !== m.maxEntries || p.flags !== m.flags) {
        throw new ObjectRejectedError('unsupported', `pinned map '${m.name}' exists with a different definition (type ${p.type}, key ${p.keySize}, value ${p.valueSize}, max ${p.maxEntries}, flags ${p.flags})`, { map: m.name });
      }
    }
    let rt: Runtime;
    try {
      // Pinned maps already live are linked in place of new ones (Runtime.load shares them by name).
      rt = Runtime.load(this.arena, spec, {
        seed: this.seed, events: () => undefined, pinned: new Map(opts.pinnedMaps), ...(this.virtualFib ? { fib: this.virtualFib } : {}),
      });
    } catch (err) {
      throw refusal(err) ?? err;
    }
    const objectMaps = [...new Set(rt.maps.values())];
    for (const m of objectMaps) this.mapRefs.set(m.addr, (this.mapRefs.get(m.addr) ?? 0) + 1);
    let disposed = false;
    const arena = this.arena;
    const mapRefs = this.mapRefs;
    const seed = this.seed;
    const warn = this.warn;
    const fib = this.fib;
    return {
      programs: spec.programs.map((p) => ({ name: p.name, section: p.section, insns: p.insns.length })),
      maps: spec.maps.map((m) => rt.maps.get(m.name)!),
      pinned: new Set(spec.maps.filter((m) => m.pinning === 'by_name').map((m) => m.name)),
      verifier: { programs: verified },
      verifierSeconds,
      runConfig: (entry) => spec.runConfigs.get(entry),
      dispose: () => {
        if (disposed) return;
        disposed = true;
        for (const m of objectMaps) {
          const left = mapRefs.get(m.addr)! - 1;
          if (left > 0) { mapRefs.set(m.addr, left); continue; }
          mapRefs.delete(m.addr);
          arena.free(m.addr);
        }
      },
      progArrayValue: (entry) => {
        const id = rt.programId(entry);
        return id === undefined ? undefined : Uint8Array.of(id & 0xff, (id >>> 8) & 0xff, (id >>> 16) & 0xff, id >>> 24);
      },
      describeEntry: (mapIndex, key, value) => {
        const m = spec.maps[mapIndex];
        const btf = spec.btf;
        if (!m || !btf) return {};
        // Global data renders as its variables; BTF-defined maps through their key/value types.
        if (m.origin.kind === 'global') return m.globals.length > 0 ? { valueJson: globalsToJson(btf, m.globals, value) } : {};
        return {
          ...(m.btfKeyType !== undefined ? { keyJson: btfValueToJson(btf, m.btfKeyType, key) } : {}),
          ...(m.btfValueType !== undefined ? { valueJson: btfValueToJson(btf, m.btfValueType, value) } : {}),
        };
      },
      async prepare(entry, o) {
        const program = rt.programs.get(entry);
        if (!program) throw new ObjectRejectedError('malformed', `no XDP program '${entry}' in the object`);
        let engineName: EngineName = o.engine;
        const t = performance.now();
        let modules: Map<string, CompiledProgram> | null = null;
        try {
          let engine;
          try {
            engine = await ENGINES[engineName](rt, { harden: o.harden });
          } catch (err) {
            if (!(err instanceof EngineUnavailableError) || engineName !== 'jit') throw err;
            warn(`${err.message}; running '${entry}' on the interpreter`);
            engineName = 'interp';
            engine = await ENGINES.interp(rt, { harden: o.harden });
          }
          const prepared = engine.prepare(program);
          if (engineName === 'jit') modules = compiledModules(engine, rt, program, prepared as PreparedJitXdp);
        } catch (err) {
          throw refusal(err) ?? new ObjectRejectedError('unsupported', `engine ${engineName}: ${(err as Error).message}`, { entry });
        }
        const processorSpec: RuntimeProcessorSpec = { runtime: rt.describe(), entry, engine: engineName, harden: o.harden, seed, modules, fib };
        return { recipe: { module: PROCESSOR_MODULE, spec: processorSpec }, compileSeconds: (performance.now() - t) / 1000, engine: engineName };
      },
    };
  }
}

/**
 * What the workers instantiate for a JIT attachment: the entry's module and, when the object has a
 * PROG_ARRAY, every other program's (tail-call targets; compiled here and cached, since a worker compiles
 * nothing). A program the JIT cannot compile is left out: a tail call into it aborts that frame.
 */
function compiledModules(engine: XdpEngine, rt: Runtime, entry: ExecProgram, prepared: PreparedJitXdp): Map<string, CompiledProgram> {
  const modules = new Map([[entry.name, prepared.compiled]]);
  if (![...rt.maps.values()].some((m) => m.params.type === MapType.PROG_ARRAY)) return modules;
  for (const p of rt.programs.values()) {
    if (modules.has(p.name)) continue;
    try {
      modules.set(p.name, (engine.prepare(p) as PreparedJitXdp).compiled);
    } catch {
      continue;
    }
  }
  return modules;
}
