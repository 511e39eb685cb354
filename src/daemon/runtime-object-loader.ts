/**
 * The daemon's loading pipeline over the project's modules: parseObject (src/ebpf) → verify every XDP program
 * (src/verifier) → Runtime.load (maps created in the arena, programs linked) → per attachment, an engine
 * prepared on the main thread (timed: xdpjit_jit_compile_seconds, and any compile error surfaces at attach
 * time as a 422) and the recipe from which every worker builds its own (runtime-processor.ts).
 */
import { parseObject, ObjectFormatError, UnsupportedFeatureError } from '../ebpf/loader.js';
import type { ObjectSpec } from '../ebpf/object-spec.js';
import { btfValueToJson, globalsToJson } from '../ebpf/btf/btf-json.js';
import { verify } from '../verifier/interpreter.js';
import { VerifierError } from '../verifier/errors.js';
import { ArenaFullError, type Arena } from '../vm/arena.js';
import { Runtime, type RuntimeDesc } from '../vm/runtime/runtime.js';
import type { BpfMap } from '../vm/maps/bpf-map.js';
import { PseudoSrc } from '../ebpf/opcodes.js';
import { OP_LD_IMM64 } from '../ebpf/insn.js';
import { ENGINES } from '../vm/runtime/engines.js';
import { EngineUnavailableError } from '../vm/runtime/engine.js';
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
  constructor(private readonly arena: Arena, private readonly seed = 0, private readonly warn: (msg: string) => void = () => undefined) {}

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
    let rt: Runtime;
    try {
      rt = Runtime.load(this.arena, spec, { seed: this.seed, events: () => undefined });
    } catch (err) {
      throw refusal(err) ?? err;
    }
    const reused = new Map<string, BpfMap>();
    for (const m of spec.maps) {
      const live = m.pinning === 'by_name' ? opts.pinnedMaps.get(m.name) : undefined;
      if (!live) continue;
      // libbpf's map_is_reuse_compat: a pinned map is reused only when its definition matches.
      const p = live.params;
      if (p.type !== m.type || p.keySize !== m.keySize || p.valueSize !== m.valueSize || p.maxEntries !== m.maxEntries || p.flags !== m.flags) {
        throw new ObjectRejectedError('unsupported', `pinned map '${m.name}' exists with a different definition (type ${p.type}, key ${p.keySize}, value ${p.valueSize}, max ${p.maxEntries}, flags ${p.flags})`, { map: m.name });
      }
      reused.set(m.name, live);
    }
    if (reused.size > 0) rt = Runtime.attach(this.arena, sharePinned(rt.describe(), reused), { seed: this.seed, events: () => undefined });
    const seed = this.seed;
    const warn = this.warn;
    return {
      programs: spec.programs.map((p) => ({ name: p.name, section: p.section, insns: p.insns.length })),
      maps: spec.maps.map((m) => rt.maps.get(m.name)!),
      pinned: new Set(spec.maps.filter((m) => m.pinning === 'by_name').map((m) => m.name)),
      verifier: { programs: verified },
      verifierSeconds,
      runConfig: (entry) => spec.runConfigs.get(entry),
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
          engine.prepare(program);
        } catch (err) {
          throw refusal(err) ?? new ObjectRejectedError('unsupported', `engine ${engineName}: ${(err as Error).message}`, { entry });
        }
        const processorSpec: RuntimeProcessorSpec = { runtime: rt.describe(), entry, engine: engineName, harden: o.harden, seed };
        return { recipe: { module: PROCESSOR_MODULE, spec: processorSpec }, compileSeconds: (performance.now() - t) / 1000, engine: engineName };
      },
    };
  }
}

/**
 * The object's description with each reused pinned map in place of the copy Runtime.load created: the map
 * descriptor and every LD_IMM64 map reference (src=1, imm = header address) now name the live map, so the
 * programs of both objects read and write the same arena bytes, as programs sharing a pinned map do.
 */
function sharePinned(desc: RuntimeDesc, reused: ReadonlyMap<string, BpfMap>): RuntimeDesc {
  const moved = new Map<number, number>();
  const maps = desc.maps.map((m) => {
    const live = reused.get(m.name);
    if (!live) return m;
    moved.set(m.addr | 0, live.addr | 0);
    return { ...m, addr: live.addr };
  });
  const programs = desc.programs.map((p) => {
    const insns = [...p.insns];
    // Walk instruction by instruction: the second slot of an LD_IMM64 holds the upper immediate only.
    for (let k = 0; k < insns.length; k += insns[k]!.code === OP_LD_IMM64 ? 2 : 1) {
      const insn = insns[k]!;
      const to = insn.code === OP_LD_IMM64 && insn.src === PseudoSrc.MAP_FD ? moved.get(insn.imm) : undefined;
      if (to !== undefined) insns[k] = { ...insn, imm: to };
    }
    return { ...p, insns };
  });
  return { ...desc, maps, programs };
}
