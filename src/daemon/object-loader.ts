/**
 * What the daemon needs from the loading pipeline (parse ELF → verify → create maps in the arena → bind
 * instructions → compile per engine), as one narrow port. The daemon speaks only to this; the wiring to
 * src/ebpf, src/verifier, src/vm and jit/ lives in the implementation handed to it.
 */
import type { BpfMap } from '../vm/maps/bpf-map.js';
import type { XdpRunConfig } from '../ebpf/object-spec.js';
import type { ProcessorRecipe } from '../dataplane/frame-processor.js';

export type EngineName = 'jit' | 'interp';

export interface LoadedProgramInfo {
  readonly name: string;
  readonly section: string;
  readonly insns: number;
}

/** A map entry rendered through BTF, where the object describes the key/value types. */
export interface EntryJson {
  readonly keyJson?: unknown;
  readonly valueJson?: unknown;
}

export interface LoadedObject {
  /** The XDP programs of the object, in ELF order. */
  readonly programs: readonly LoadedProgramInfo[];
  /** Live maps in the arena, in ObjectSpec order (global data included). */
  readonly maps: readonly BpfMap[];
  /** Names of maps declared LIBBPF_PIN_BY_NAME (shared by name across objects). */
  readonly pinned: ReadonlySet<string>;
  /** Verifier summary per program (processed insns, states, ms...), returned by the API as is. */
  readonly verifier: Readonly<Record<string, unknown>>;
  readonly verifierSeconds: number;
  /** libxdp XDP_RUN_CONFIG of a program, when the object has one. */
  runConfig(entry: string): XdpRunConfig | undefined;
  /** Compile (or prepare for the interpreter) one entry: the recipe every worker builds its processor from. */
  prepare(entry: string, opts: { readonly engine: EngineName; readonly harden: boolean }): Promise<PreparedEntry>;
  /** The PROG_ARRAY slot value naming program `entry` of this object (tail calls stay within an object). */
  progArrayValue(entry: string): Uint8Array | undefined;
  /** BTF rendering of an entry of map `mapIndex`, when available. */
  describeEntry?(mapIndex: number, key: Uint8Array, value: Uint8Array): EntryJson;
  /** Free the object's maps (except pinned maps still used by another object), where the runtime can. */
  dispose?(): void;
}

export interface PreparedEntry {
  readonly recipe: ProcessorRecipe;
  readonly compileSeconds: number;
  /** The engine that will run it (the JIT falls back to the interpreter while it is unavailable). */
  readonly engine: EngineName;
}

export type RejectionKind = 'malformed' | 'unsupported' | 'verifier_rejected';

/** An object refused at load: 400 (malformed) or 422 (unsupported, verifier_rejected) with the detail. */
export class ObjectRejectedError extends Error {
  constructor(readonly kind: RejectionKind, message: string, readonly detail: unknown = null) {
    super(message);
    this.name = 'ObjectRejectedError';
  }
}

export interface LoadOptions {
  /** Pinned maps already live, by name: an object declaring one of these reuses it (libbpf pin by name). */
  readonly pinnedMaps: ReadonlyMap<string, BpfMap>;
  readonly strict: boolean;
}

export interface ObjectLoader {
  load(bytes: Uint8Array, opts: LoadOptions): Promise<LoadedObject>;
  /** Load the compiler ahead of the first program, so that its start-up is not paid by the first attach. */
  warm?(): Promise<void>;
}
