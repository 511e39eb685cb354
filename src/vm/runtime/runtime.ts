/**
 * A loaded object (cilium/ebpf's Collection to ObjectSpec's CollectionSpec): its maps created in the arena
 * and its programs linked against their addresses. Everything mutable lives in the arena, so a worker thread
 * rebuilds an equivalent Runtime from the same memory and `describe()`'s plain, structured-cloneable
 * description, without creating anything.
 */
import type { ObjectSpec, MapSpec } from '../../ebpf/object-spec.js';
import { MapFlag, MapType } from '../../ebpf/object-spec.js';
import { UnsupportedFeatureError } from '../../ebpf/loader-errors.js';
import { errnoName } from '../maps/errno.js';
import type { Arena } from '../arena.js';
import { CaptureClock, type Clock } from '../clock.js';
import { RuntimeFault, type ExecProgram, type HelperCall } from '../exec-types.js';
import type { HelperEnv, RuntimeEvent } from '../helpers/helper-env.js';
import { buildHelpers, type HelperResolver } from '../helpers/helper-table.js';
import type { VirtualFib } from '../helpers/virtual-fib.js';
import type { BpfMap } from '../maps/bpf-map.js';
import { MapCreateError } from '../maps/map-header.js';
import { createMap, openMap } from '../maps/registry.js';
import { SlotArrayMap } from '../maps/slot-array.js';
import { spinLockOffset } from '../../verifier/domain/spin-lock.js';
import { CheckedAccess, type CheckedMap } from './checked-access.js';
import { linkProgram, type MapBinding } from './link.js';

export interface LoadedMapDesc {
  readonly name: string;
  /** Header address in the arena. */
  readonly addr: number;
  readonly readOnly: boolean;
  /** Global data (.rodata/.data/.bss...): LD_IMM64 src=2 points into its value. */
  readonly global: boolean;
}

/** What a worker needs, besides the arena's memory, to rebuild the Runtime: plain data only. */
export interface RuntimeDesc {
  readonly license: string;
  readonly maps: readonly LoadedMapDesc[];
  readonly programs: readonly ExecProgram[];
}

export interface RuntimeOptions {
  /** Helpers' time and randomness; default a capture clock seeded with 0. */
  readonly clock?: Clock;
  /** Hash map seed. */
  readonly seed?: number;
  /** The daemon's registry of maps pinned by name, shared across objects (design.md §6); updated by load. */
  readonly pinned?: Map<string, BpfMap>;
  /** Virtual devices by ifindex → MTU (bpf_check_mtu); default ifindex 1 with lo's MTU, 65536, as the
   * kernel oracle's test_run device. */
  readonly devices?: ReadonlyMap<number, number>;
  /**
   * The virtual FIB for bpf_fib_lookup (virtual-fib.ts); its devices' MTUs also answer bpf_check_mtu when
   * `devices` is not given. Absent: no routes and forwarding off, as a host with the default sysctl.
   */
  readonly fib?: VirtualFib;
  /** Where trace_printk text and ring buffer / perf records go (default: trace text to stderr). */
  readonly events?: (event: RuntimeEvent) => void;
}

export class Runtime {
  readonly maps: ReadonlyMap<string, BpfMap>;
  readonly programs: ReadonlyMap<string, ExecProgram>;
  readonly helpers: HelperResolver;
  readonly clock: Clock;
  private readonly byAddr: ReadonlyMap<number, BpfMap>;
  private readonly checkers = new Map<number, CheckedAccess>();
  /** Maps this runtime created (attach() creates none). */
  private owned: BpfMap[] = [];
  private readonly pinnedRegistry: Map<string, BpfMap> | undefined;
  /** Inner-map templates of map-in-map maps, by outer map name. */
  private readonly innerTemplates = new Map<string, MapSpec>();
  private readonly mapDescs: readonly LoadedMapDesc[];
  /** Checked mode's checker of the frame being run (helpers check their memory arguments with it). */
  private active: CheckedAccess | undefined;
  private events: (event: RuntimeEvent) => void;
  private readonly devices: ReadonlyMap<number, number>;
  private readonly fib: VirtualFib | undefined;

  private constructor(readonly arena: Arena, readonly license: string, maps: readonly { desc: LoadedMapDesc; map: BpfMap }[], opts: RuntimeOptions) {
    this.mapDescs = maps.map((m) => m.desc);
    this.maps = new Map(maps.map((m) => [m.desc.name, m.map]));
    this.byAddr = new Map(maps.map((m) => [m.map.addr, m.map]));
    this.clock = opts.clock ?? new CaptureClock(opts.seed ?? 0);
    this.fib = opts.fib;
    this.devices = opts.devices ?? (opts.fib ? new Map([...opts.fib.devices.values()].map((d) => [d.ifindex, d.mtu])) : new Map([[1, 65536]]));
    this.pinnedRegistry = opts.pinned;
    this.events = opts.events ?? ((e) => { if (e.type === 'trace') process.stderr.write(`trace cpu${e.cpu}: ${e.text}\n`); });
    this.helpers = buildHelpers(this.helperEnv());
    this.programs = new Map();
  }

  /** Create the object's maps in `arena` and link its programs. Throws the typed refusal of a missing feature. */
  static load(arena: Arena, spec: ObjectSpec, opts: RuntimeOptions = {}): Runtime {
    const created: { desc: LoadedMapDesc; map: BpfMap }[] = [];
    const owned: BpfMap[] = [];
    try {
      for (const m of spec.maps) {
        const map = Runtime.pinnedOrNew(arena, withSpinLock(spec, m), opts, owned);
        created.push({ desc: { name: m.name, addr: map.addr, readOnly: isReadOnly(m), global: m.origin.kind === 'global' }, map });
      }
      const rt = new Runtime(arena, spec.license, created, opts);
      rt.owned = owned;
      const bindings = created.map(({ desc, map }): MapBinding => ({
        header: map.addr, name: desc.name, valueSize: map.params.valueSize,
        value: desc.global ? map.lookup(new Uint8Array(4), 0) : undefined,
      }));
      rt.setPrograms(spec.programs.map((p) => linkProgram(p, bindings, rt.helpers)));
      spec.maps.forEach((m, i) => rt.fillInitSlots(m, created[i]!.map));
      return rt;
    } catch (e) {
      // A refused load leaves nothing behind in the arena.
      for (const m of owned) Runtime.release(arena, m, opts.pinned);
      throw e;
    }
  }

  /**
   * A map pinned by name (LIBBPF_PIN_BY_NAME) that the `pinned` registry already holds is shared, provided its
   * parameters match (libbpf refuses a mismatch); any other map is created (and, when pinned, registered).
   */
  private static pinnedOrNew(arena: Arena, m: MapSpec, opts: RuntimeOptions, owned: BpfMap[]): BpfMap {
    const shared = m.pinning === 'by_name' ? opts.pinned?.get(m.name) : undefined;
    if (shared) {
      const p = shared.params;
      if (p.type !== m.type || p.keySize !== m.keySize || p.valueSize !== m.valueSize || p.maxEntries !== m.maxEntries || p.flags !== m.flags) {
        throw new MapCreateError(m.name, 'pinned map exists with different type, sizes, max_entries or flags');
      }
      return shared;
    }
    const map = createMap(arena, m, opts.seed !== undefined ? { seed: opts.seed } : {});
    owned.push(map);
    if (m.initialData) map.write(new Uint8Array(4), [m.initialData], 0);
    if (m.pinning === 'by_name') opts.pinned?.set(m.name, map);
    return map;
  }

  private static release(arena: Arena, map: BpfMap, pinned: Map<string, BpfMap> | undefined): void {
    if (pinned?.get(map.name) === map) pinned.delete(map.name);
    arena.free(map.addr);
  }

  /**
   * Give the maps this runtime created back to the arena, except pinned ones (they outlive the object, as
   * pinned maps do). The runtime must not run afterwards.
   */
  dispose(): void {
    for (const m of this.owned) if (this.pinnedRegistry?.get(m.name) !== m) this.arena.free(m.addr);
    this.owned = [];
  }

  /** The runtime `describe()` described, on another thread's view of the same arena. */
  static attach(arena: Arena, desc: RuntimeDesc, opts: RuntimeOptions = {}): Runtime {
    const maps = desc.maps.map((d) => ({ desc: d, map: openMap(arena, d.name, d.addr) }));
    const rt = new Runtime(arena, desc.license, maps, opts);
    rt.setPrograms(desc.programs);
    return rt;
  }

  /**
   * The value a PROG_ARRAY or map-in-map slot holds for `@ref`: a program id, or the inner map's header
   * address (after checking it against the outer map's inner-map template, as the kernel does).
   */
  slotValueFor(outer: MapSpec | BpfMap, ref: string): Uint8Array | string {
    const type = 'type' in outer ? outer.type : outer.params.type;
    const le = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
    if (type === MapType.PROG_ARRAY) {
      const id = this.programId(ref);
      return id === undefined ? `no program '${ref}' in the object` : le(id);
    }
    if (type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS) {
      const inner = this.maps.get(ref);
      if (!inner) return `no map '${ref}' in the object`;
      const tmpl = this.innerTemplates.get('name' in outer ? outer.name : '');
      if (tmpl && (tmpl.type !== inner.params.type || tmpl.keySize !== inner.params.keySize || tmpl.valueSize !== inner.params.valueSize ||
        ((tmpl.flags & MapFlag.INNER_MAP) === 0 && tmpl.maxEntries !== inner.params.maxEntries))) {
        return `map '${ref}' does not match the inner map of '${'name' in outer ? outer.name : ''}'`;
      }
      return le(inner.addr);
    }
    return '@NAME values are for PROG_ARRAY and map-in-map maps';
  }

  /** libbpf's `.values = { [i] = &prog_or_map }` initialisers, applied after the programs load. */
  private fillInitSlots(spec: MapSpec, map: BpfMap): void {
    if (spec.innerMap) this.innerTemplates.set(spec.name, spec.innerMap);
    for (const slot of spec.initSlots) {
      const value = this.slotValueFor(spec, slot.ref);
      if (typeof value === 'string') throw new UnsupportedFeatureError('map initialiser', `map '${spec.name}': slot ${slot.index}: ${value}`);
      const err = map.write(Uint8Array.of(slot.index & 0xff, (slot.index >>> 8) & 0xff, (slot.index >>> 16) & 0xff, slot.index >>> 24), [value], 0);
      if (err !== 0) throw new UnsupportedFeatureError('map initialiser', `map '${spec.name}': slot ${slot.index}: ${errnoName(err)}`);
    }
  }

  describe(): RuntimeDesc {
    return { license: this.license, maps: this.mapDescs, programs: [...this.programs.values()] };
  }

  private setPrograms(progs: readonly ExecProgram[]): void {
    const m = this.programs as Map<string, ExecProgram>;
    for (const p of progs) m.set(p.name, p);
    // A PROG_ARRAY write naming no program of this runtime is the kernel's fd that is not open (-EBADF).
    for (const map of this.maps.values()) {
      if (map instanceof SlotArrayMap && map.params.type === MapType.PROG_ARRAY) map.programExists = (id) => this.programById(id) !== undefined;
    }
  }

  /** Program ids are 1-based positions in the object's program list (what PROG_ARRAY slots hold). */
  programId(name: string): number | undefined {
    const i = [...this.programs.keys()].indexOf(name);
    return i < 0 ? undefined : i + 1;
  }

  programById(id: number): ExecProgram | undefined {
    return [...this.programs.values()][id - 1];
  }

  mapAt(addr: number): BpfMap | undefined {
    return this.byAddr.get(addr);
  }

  /** Send events elsewhere (the CLI attributes them to the frame being run). */
  onEvent(sink: (event: RuntimeEvent) => void): void {
    this.events = sink;
  }

  /** The checked-mode access checker of `cpu` (one per CPU: it knows that CPU's stack). */
  checkerFor(cpu: number): CheckedAccess {
    let c = this.checkers.get(cpu);
    if (!c) {
      const maps: CheckedMap[] = this.mapDescs.map((d) => ({ map: this.maps.get(d.name)!, readOnly: d.readOnly }));
      c = new CheckedAccess(() => this.arena.u32, cpu, maps);
      this.checkers.set(cpu, c);
    }
    return c;
  }

  /** Make `checker` the one helpers use for their memory arguments while a frame runs (undefined: none). */
  setActiveChecker(checker: CheckedAccess | undefined): void {
    this.active = checker;
  }

  private helperEnv(): HelperEnv {
    return {
      arena: this.arena,
      clock: this.clock,
      mapAt: (addr) => this.byAddr.get(addr),
      programById: (id) => this.programById(id),
      checkMem: (call: HelperCall, addr, size, write) => {
        if (size > 0) this.active?.check(addr, size, write, call.insn);
      },
      fault: (call, message) => new RuntimeFault(message, call.insn, this.active?.program ?? 'program'),
      allMaps: () => [...this.byAddr.values()],
      ...(this.fib ? { fib: this.fib } : {}),
      deviceMtu: (ifindex) => this.devices.get(ifindex),
      emit: (e) => this.events(e),
    };
  }
}

/** libbpf makes .rodata (and .rodata.*) read-only to programs (BPF_F_RDONLY_PROG) and freezes it. */
function isReadOnly(m: MapSpec): boolean {
  return (m.flags & MapFlag.RDONLY_PROG) !== 0 || (m.origin.kind === 'global' && m.origin.section.startsWith('.rodata'));
}

/** The map's parameters with where its value keeps a bpf_spin_lock (BTF), which BPF_F_LOCK updates need. */
function withSpinLock(obj: ObjectSpec, m: MapSpec): MapSpec {
  const off = spinLockOffset(obj, m);
  return off === undefined ? m : { ...m, spinLockOff: off } as MapSpec;
}
