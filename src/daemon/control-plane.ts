/**
 * The daemon's control plane: the live programs, maps, interfaces, attachments and replays behind the REST
 * API, and their persistence. Every method validates what the API parsed and throws ApiError with the
 * contract's codes (design.md §6); the HTTP layer only translates.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Logger } from 'pino';
import type { Arena } from '../vm/arena.js';
import type { BpfMap } from '../vm/maps/bpf-map.js';
import { MapHdr, UpdateFlag } from '../vm/maps/map-header.js';
import { Errno } from '../vm/maps/errno.js';
import { MapType, mapTypeName } from '../ebpf/object-spec.js';
import { XdpAction } from '../ebpf/opcodes.js';
import { programKindOf } from '../ebpf/loader-programs.js';
import { devmapWrittenProgram } from '../vm/maps/devmap-value.js';
import { CPUMAP_MAX_QSIZE, cpumapWrittenProgram } from '../vm/maps/cpumap-value.js';
import type { MapProgram } from '../dataplane/map-program-queue.js';
import { Datapath, InterfaceExistsError, NoSuchInterfaceError, type StageSpec, type XskConsumer } from '../dataplane/datapath.js';
import type { InterfaceSpec, NetInterface } from '../dataplane/interfaces.js';
import { Replay, type ReplayClock, type ReplayStatus } from '../dataplane/replay.js';
import { parseHostPort } from '../dataplane/vxlan.js';
import { readCapture, requireEthernet, type Capture } from '../dataplane/capture/index.js';
import { ApiError, badRequest, conflict, notFound } from './api-error.js';
import { resolveConfined, resolveConfinedOutput } from './confined-path.js';
import { PcapFileCapture } from '../dataplane/pcap-capture.js';
import type { DaemonMetrics } from './metrics.js';
import {
  ObjectRejectedError, type EngineName, type LoadedObject, type ObjectLoader,
} from './object-loader.js';
import type {
  PersistedAttachment, PersistedStage, PersistedState, StateStore,
} from './state-store.js';

interface MapRecord {
  readonly id: string;
  readonly name: string;
  readonly programId: string;
  readonly index: number;
  readonly map: BpfMap;
}

interface ProgramRecord {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly obj: LoadedObject;
  readonly maps: readonly MapRecord[];
  readonly attachedTo: Set<string>;
}

/** libxdp defaults for a program without XDP_RUN_CONFIG: priority 50, chain on XDP_PASS. */
const LIBXDP_DEFAULT_PRIORITY = 50;
const LIBXDP_DEFAULT_CHAIN_ACTIONS = 1 << XdpAction.PASS;
const ACTION_BITS: Readonly<Record<string, number>> = { aborted: 0, drop: 1, pass: 2, tx: 3, redirect: 4 };
const ON_REDIRECT_KINDS: ReadonlySet<string> = new Set(['xdp/devmap', 'xdp/cpumap']);

export interface AttachBody {
  readonly program?: string;
  readonly entry?: string;
  readonly engine?: EngineName;
  readonly harden?: boolean;
  readonly chain?: ReadonlyArray<{ program: string; entry?: string; priority?: number; chainCallActions?: number | string[] }>;
}

export interface ReplayBody {
  readonly interface: string;
  readonly pcap: string;
  readonly speed?: number;
  readonly loop?: number;
  readonly clock?: ReplayClock;
}

export interface ControlPlaneDeps {
  readonly arena: Arena;
  readonly datapath: Datapath;
  readonly loader: ObjectLoader;
  readonly store: StateStore | null;
  readonly programsDir: string | null;
  readonly pcapsDir: string | null;
  readonly strict: boolean;
  readonly metrics: DaemonMetrics;
  readonly log: Logger;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function parseHex(s: string, size: number, what: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) throw badRequest(`${what} '${s}' is not hex bytes`, { [what]: s });
  if (s.length !== size * 2) throw badRequest(`${what} is ${s.length / 2} bytes, the map's ${what} size is ${size}`, { [what]: s, expected: size });
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

export class ControlPlane {
  private readonly programs = new Map<string, ProgramRecord>();
  private readonly mapsById = new Map<string, MapRecord>();
  private readonly pinned = new Map<string, MapRecord>();
  private readonly attachments = new Map<string, PersistedAttachment>();
  /** The engine actually running each interface's programs (the JIT may fall back to the interpreter). */
  private readonly runningEngine = new Map<string, EngineName>();
  private readonly replays = new Map<string, Replay>();
  private nextProgramId = 1;
  private nextMapId = 1;
  private nextReplayId = 1;
  /** Serialises state writes so that an older state never renames over a newer one. */
  private persisting: Promise<void> = Promise.resolve();

  constructor(private readonly d: ControlPlaneDeps) {
    d.datapath.devmap.programs = (id) => this.devmapProgram(id);
    d.datapath.cpumap.programs = (id) => this.devmapProgram(id, 'xdp/cpumap');
  }

  // ── programs ──────────────────────────────────────────────────────────────────────────────────────

  async loadProgramFromPath(path: string, name?: string): Promise<ReturnType<ControlPlane['programJson']>> {
    const file = await resolveConfined(this.d.programsDir, 'programs', path);
    return this.loadProgram(await readFile(file), name ?? basename(file).replace(/\.o$/, ''));
  }

  async loadProgram(bytes: Uint8Array, name: string | undefined, restored?: { id: string; createdAt: string; mapIds: Readonly<Record<string, string>> }): Promise<ReturnType<ControlPlane['programJson']>> {
    const id = restored?.id ?? String(this.nextProgramId);
    const progName = name ?? `prog${id}`;
    let obj: LoadedObject;
    try {
      obj = await this.d.loader.load(bytes, { pinnedMaps: new Map([...this.pinned].map(([n, r]) => [n, r.map])), strict: this.d.strict });
    } catch (err) {
      if (err instanceof ObjectRejectedError) {
        throw new ApiError(err.kind === 'malformed' ? 'bad_request' : err.kind, err.message, err.detail);
      }
      throw err;
    }
    if (!restored) this.nextProgramId++;
    // The daemon reads every CPU's perf buffer (the SSE stream), as perf_buffer__new opens one perf event
    // per CPU: without a reader in the slot, bpf_perf_event_output returns -ENOENT.
    for (const map of obj.maps) {
      if (map.params.type !== MapType.PERF_EVENT_ARRAY) continue;
      for (let cpu = 0; cpu < Math.min(this.d.datapath.cpus, map.params.maxEntries); cpu++) {
        map.write(Uint8Array.of(cpu & 0xff, cpu >>> 8, 0, 0), [Uint8Array.of((cpu + 1) & 0xff, (cpu + 1) >>> 8, 0, 0)], UpdateFlag.ANY);
      }
    }
    const maps = obj.maps.map((map, index): MapRecord => {
      const shared = obj.pinned.has(map.name) ? this.pinned.get(map.name) : undefined;
      if (shared && shared.map.addr === map.addr) return shared;
      const mapId = restored?.mapIds[map.name] ?? String(this.nextMapId++);
      const rec = { id: mapId, name: map.name, programId: id, index, map };
      this.mapsById.set(mapId, rec);
      if (obj.pinned.has(map.name)) this.pinned.set(map.name, rec);
      return rec;
    });
    const rec: ProgramRecord = { id, name: progName, createdAt: restored?.createdAt ?? new Date().toISOString(), obj, maps, attachedTo: new Set() };
    this.programs.set(id, rec);
    this.d.metrics.verifierSeconds.observe({ program: progName }, obj.verifierSeconds);
    if (!restored) {
      await this.d.store?.writeProgram(id, bytes);
      await this.persistState();
    }
    return this.programJson(rec);
  }

  private programJson(p: ProgramRecord) {
    return {
      id: p.id, name: p.name, createdAt: p.createdAt,
      programs: p.obj.programs.map((x) => ({ name: x.name, section: x.section, insns: x.insns })),
      maps: p.maps.map((m) => this.mapJson(m)),
      verifier: p.obj.verifier,
      attachedTo: [...p.attachedTo].sort(),
    };
  }

  listPrograms() { return [...this.programs.values()].map((p) => this.programJson(p)); }

  getProgram(id: string) { return this.programJson(this.program(id)); }

  private program(ref: string): ProgramRecord {
    const p = this.programs.get(ref) ?? [...this.programs.values()].find((x) => x.name === ref);
    if (!p) throw notFound('program', ref);
    return p;
  }

  async deleteProgram(id: string): Promise<void> {
    const p = this.programs.get(id);
    if (!p) throw notFound('program', id);
    if (p.attachedTo.size > 0) throw conflict(`program '${id}' is attached to ${[...p.attachedTo].join(', ')}`, { attachedTo: [...p.attachedTo] });
    this.programs.delete(id);
    // A pinned map lives while any loaded object still uses it (as a pinned map outlives its loader).
    const own = p.maps.filter((m) => ![...this.programs.values()].some((o) => o.maps.includes(m)));
    for (const m of own) {
      this.mapsById.delete(m.id);
      if (this.pinned.get(m.name) === m) this.pinned.delete(m.name);
    }
    p.obj.dispose?.();
    if (![...this.programs.values()].some((x) => x.name === p.name)) this.d.metrics.forgetProgram(p.name);
    await this.d.store?.removeProgram(id, own.map((m) => m.id));
    await this.persistState();
  }

  /**
   * The devmap (or cpumap) program a struct bpf_devmap_val (bpf_cpumap_val) names (devmap-value.ts,
   * cpumap-value.ts): program id `id`'s first SEC("xdp/devmap") (SEC("xdp/cpumap")) entry, run under the JIT
   * (the interpreter when the JIT is unavailable).
   */
  private devmapProgram(id: number, kind: 'xdp/devmap' | 'xdp/cpumap' = 'xdp/devmap'): MapProgram | undefined {
    const p = this.programs.get(String(id));
    const entry = p?.obj.programs.find((x) => programKindOf(x.section) === kind);
    if (!p || !entry) return undefined;
    return {
      token: p, label: `${p.name}/${entry.name}`,
      prepare: async () => (await p.obj.prepare(entry.name, { engine: 'jit', harden: false })).recipe,
    };
  }

  // ── interfaces and attachments ────────────────────────────────────────────────────────────────────

  async addInterface(spec: InterfaceSpec, restored?: { ifindex: number; peerIfindex?: number }) {
    if (spec.kind === 'vxlan') {
      for (const hp of [spec.listen, spec.remote]) {
        try { parseHostPort(hp); } catch (err) { throw badRequest((err as Error).message, { value: hp }); }
      }
    }
    const capturePaths = {
      pass: spec.capture?.pass !== undefined ? await resolveConfinedOutput(this.d.pcapsDir, 'pcaps', spec.capture.pass) : undefined,
      tx: spec.capture?.tx !== undefined ? await resolveConfinedOutput(this.d.pcapsDir, 'pcaps', spec.capture.tx) : undefined,
    };
    let created: NetInterface[];
    try {
      created = await this.d.datapath.addInterface(spec, restored?.ifindex, restored?.peerIfindex);
    } catch (err) {
      if (err instanceof InterfaceExistsError) throw conflict(err.message, { interface: err.iface });
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' || (err as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL') {
        throw conflict(`cannot listen on ${spec.kind === 'vxlan' ? spec.listen : ''}: ${(err as Error).message}`);
      }
      throw err;
    }
    if (capturePaths.pass) created[0]!.passSink = new PcapFileCapture(capturePaths.pass);
    if (capturePaths.tx) created[0]!.txSink = new PcapFileCapture(capturePaths.tx);
    if (!restored) await this.persistState();
    return { name: created[0]!.name, ifindex: created[0]!.ifindex, kind: created[0]!.kind, ...(created[1] ? { peer: { name: created[1].name, ifindex: created[1].ifindex } } : {}) };
  }

  private interfaceJson(i: NetInterface) {
    const spec = i.spec;
    const att = this.attachments.get(i.name);
    return {
      name: i.name, ifindex: i.ifindex, kind: i.kind,
      ...(spec.kind === 'veth' ? { peer: spec.peer } : {}),
      ...(spec.kind === 'vxlan' ? { vni: spec.vni, listen: spec.listen, remote: spec.remote } : {}),
      ...(spec.capture ? { capture: spec.capture } : {}),
      attachment: att ? this.attachmentJson(att, this.runningEngine.get(i.name) ?? att.engine) : null,
      counters: { ...i.stats },
    };
  }

  private attachmentJson(a: PersistedAttachment, engine: EngineName) {
    const stages = a.stages.map((s) => ({ ...s, programName: this.programs.get(s.program)?.name ?? s.program }));
    if (a.chain) return { engine, harden: a.harden, chain: stages };
    const s = stages[0]!;
    return { program: s.program, programName: s.programName, entry: s.entry, engine, harden: a.harden };
  }

  listInterfaces() { return this.d.datapath.interfaces.map((i) => this.interfaceJson(i)); }

  /** A socket-like consumer of the XSKMAP redirects to `queue` of interface `name` (design.md §4). */
  attachXsk(name: string, queue: number, consumer: XskConsumer): () => void {
    try {
      return this.d.datapath.attachXsk(name, queue, consumer);
    } catch (err) {
      if (err instanceof NoSuchInterfaceError) throw notFound('interface', name);
      throw err;
    }
  }

  async removeInterface(name: string): Promise<void> {
    const iface = this.d.datapath.interface(name);
    if (!iface) throw notFound('interface', name);
    for (const r of this.replays.values()) {
      if (r.running && (r.interfaceName === name || r.interfaceName === iface.peer?.name)) await r.stop();
    }
    const gone = await this.d.datapath.removeInterface(name);
    for (const g of gone) this.forgetAttachment(g.name);
    await this.persistState();
  }

  private forgetAttachment(iface: string): void {
    const a = this.attachments.get(iface);
    if (!a) return;
    this.attachments.delete(iface);
    this.runningEngine.delete(iface);
    for (const s of a.stages) this.programs.get(s.program)?.attachedTo.delete(iface);
  }

  /** Resolve an attach body against the loaded programs: stages in run order, libxdp defaults applied. */
  private resolveAttachment(body: AttachBody): PersistedAttachment {
    const engine = body.engine ?? 'jit';
    const harden = body.harden ?? false;
    const stage = (ref: string, entry: string | undefined, priority: number | undefined, actions: number | string[] | undefined): PersistedStage => {
      const p = this.program(ref);
      // Devmap / cpumap programs run on redirect; the kernel refuses to attach them to a device (dev_xdp_attach).
      const attachable = p.obj.programs.filter((x) => !ON_REDIRECT_KINDS.has(programKindOf(x.section) ?? 'xdp'));
      const e = entry ?? attachable[0]?.name;
      if (e === undefined || !p.obj.programs.some((x) => x.name === e)) {
        throw badRequest(`program '${ref}' has no XDP program '${entry}'`, { entry, programs: p.obj.programs.map((x) => x.name) });
      }
      if (!attachable.some((x) => x.name === e)) {
        throw badRequest(`'${e}' of program '${ref}' is an xdp/devmap or xdp/cpumap program: it runs on redirect and cannot be attached to an interface`, { entry: e });
      }
      const rc = p.obj.runConfig(e);
      let mask = rc?.chainCallActions ?? LIBXDP_DEFAULT_CHAIN_ACTIONS;
      if (typeof actions === 'number') mask = actions;
      else if (actions) {
        mask = 0;
        for (const a of actions) {
          const bit = ACTION_BITS[a.toLowerCase().replace(/^xdp_/, '')];
          if (bit === undefined) throw badRequest(`unknown action '${a}' in chainCallActions`, { action: a });
          mask |= 1 << bit;
        }
      }
      return { program: p.id, entry: e, priority: priority ?? rc?.priority ?? LIBXDP_DEFAULT_PRIORITY, chainCallActions: mask };
    };
    if (body.chain) {
      if (body.program !== undefined) throw badRequest('give either program or chain, not both');
      if (body.chain.length === 0) throw badRequest('chain is empty');
      // libxdp runs lower priorities first; equal priorities keep the order given.
      const stages = body.chain.map((c) => stage(c.program, c.entry, c.priority, c.chainCallActions))
        .map((s, i) => ({ s, i })).sort((a, b) => a.s.priority - b.s.priority || a.i - b.i).map((x) => x.s);
      return { engine, harden, stages, chain: true };
    }
    if (body.program === undefined) throw badRequest('give program or chain');
    return { engine, harden, stages: [stage(body.program, body.entry, undefined, undefined)], chain: false };
  }

  async attach(ifname: string, body: AttachBody) {
    if (!this.d.datapath.interface(ifname)) throw notFound('interface', ifname);
    const att = this.resolveAttachment(body);
    await this.applyAttachment(ifname, att);
    await this.persistState();
    return this.interfaceJson(this.d.datapath.interface(ifname)!);
  }

  private async applyAttachment(ifname: string, att: PersistedAttachment): Promise<void> {
    const specs: StageSpec[] = [];
    let engine: EngineName = att.engine;
    for (const s of att.stages) {
      const p = this.program(s.program);
      let prepared;
      try {
        prepared = await p.obj.prepare(s.entry, { engine: att.engine, harden: att.harden });
      } catch (err) {
        if (err instanceof ObjectRejectedError) throw new ApiError(err.kind === 'malformed' ? 'bad_request' : err.kind, err.message, err.detail);
        throw err;
      }
      this.d.metrics.jitCompileSeconds.observe({ program: p.name }, prepared.compileSeconds);
      engine = prepared.engine;
      const label = p.obj.programs.length > 1 ? `${p.name}/${s.entry}` : p.name;
      specs.push({ program: label, recipe: prepared.recipe, chainCallActions: s.chainCallActions });
    }
    try {
      await this.d.datapath.attach(ifname, specs);
    } catch (err) {
      if (err instanceof NoSuchInterfaceError) throw notFound('interface', ifname);
      throw new ApiError('internal', `attaching to '${ifname}' failed: ${(err as Error).message}`);
    }
    this.forgetAttachment(ifname);
    this.attachments.set(ifname, att);
    this.runningEngine.set(ifname, engine);
    for (const s of att.stages) this.programs.get(s.program)?.attachedTo.add(ifname);
  }

  async detach(ifname: string): Promise<void> {
    if (!this.d.datapath.interface(ifname)) throw notFound('interface', ifname);
    if (!this.attachments.has(ifname)) throw notFound('attachment', ifname);
    await this.d.datapath.detach(ifname);
    this.forgetAttachment(ifname);
    await this.persistState();
  }

  // ── maps ──────────────────────────────────────────────────────────────────────────────────────────

  private mapJson(m: MapRecord) {
    const p = m.map.params;
    return {
      id: m.id, name: m.name, type: mapTypeName(p.type), keySize: p.keySize, valueSize: p.valueSize,
      maxEntries: p.maxEntries, perCpu: m.map.perCpu, program: m.programId,
    };
  }

  listMaps() { return [...this.mapsById.values()].map((m) => this.mapJson(m)); }

  private mapRecord(id: string): MapRecord {
    const m = this.mapsById.get(id);
    if (!m) throw notFound('map', id);
    return m;
  }

  mapEntries(id: string) {
    const m = this.mapRecord(id);
    const obj = this.programs.get(m.programId)?.obj;
    const out: Array<Record<string, unknown>> = [];
    for (const key of m.map.keys()) {
      const values = m.map.read(key);
      if (!values) continue;
      // BTF rendering where the object describes the types; per-CPU maps give one valueJson per CPU.
      const rendered = obj?.describeEntry ? values.map((v) => obj.describeEntry!(m.index, key, v)) : [];
      const json = rendered.length === 0 ? {} : {
        ...(rendered[0]!.keyJson !== undefined ? { keyJson: rendered[0]!.keyJson } : {}),
        ...(rendered[0]!.valueJson !== undefined ? { valueJson: m.map.perCpu ? rendered.map((r) => r.valueJson) : rendered[0]!.valueJson } : {}),
      };
      out.push({
        key: hex(key),
        ...(m.map.perCpu ? { values: values.map(hex) } : { value: hex(values[0]!) }),
        ...json,
      });
    }
    return { map: this.mapJson(m), entries: out };
  }

  /** Entries per map name for the xdpjit_map_entries gauge (the header's atomic count; arrays are full). */
  mapEntryCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    const u32 = this.d.arena.u32;
    for (const m of this.mapsById.values()) {
      const p = m.map.params;
      const arrayLike = p.type === MapType.ARRAY || p.type === MapType.PERCPU_ARRAY;
      const n = arrayLike ? p.maxEntries : Atomics.load(u32, (m.map.addr + MapHdr.COUNT) >>> 2);
      counts.set(m.name, (counts.get(m.name) ?? 0) + n);
    }
    return counts;
  }

  async updateEntry(id: string, keyHex: string, body: { value?: string; values?: string[] }, flags: 'any' | 'noexist' | 'exist'): Promise<void> {
    const m = this.mapRecord(id);
    const p = m.map.params;
    const key = parseHex(keyHex, p.keySize, 'key');
    let values: Uint8Array[];
    if (p.type === MapType.PROG_ARRAY && body.value?.startsWith('@')) {
      // A program of the same object, by name (tail calls cannot leave the object they were linked in).
      const entry = body.value.slice(1);
      const slot = this.programs.get(m.programId)?.obj.progArrayValue(entry);
      if (!slot) throw badRequest(`PROG_ARRAY '${m.name}': no program '${entry}' in the object that owns it`, { value: body.value });
      values = [slot];
    } else if (body.values !== undefined) {
      if (!m.map.perCpu) throw badRequest(`map '${m.name}' is not per-CPU: give value, not values`);
      if (body.values.length !== m.map.ncpus) throw badRequest(`map '${m.name}' has ${m.map.ncpus} CPUs, got ${body.values.length} values`);
      values = body.values.map((v) => parseHex(v, p.valueSize, 'value'));
    } else if (body.value !== undefined) {
      values = [parseHex(body.value, p.valueSize, 'value')];
      const devmapProg = p.type === MapType.DEVMAP || p.type === MapType.DEVMAP_HASH ? devmapWrittenProgram(values[0]!, p.valueSize) : 0;
      // The kernel checks the fd names an XDP program with expected_attach_type BPF_XDP_DEVMAP (-EINVAL).
      if (devmapProg !== 0 && !this.devmapProgram(devmapProg)) {
        throw badRequest(`map '${m.name}': program ${devmapProg} is not a loaded program with an xdp/devmap section`, { map: m.name, key: keyHex, errno: Errno.EINVAL });
      }
    } else {
      throw badRequest('give value (hex) or values (hex per CPU)');
    }
    const flag = flags === 'noexist' ? UpdateFlag.NOEXIST : flags === 'exist' ? UpdateFlag.EXIST : UpdateFlag.ANY;
    if (p.type === MapType.CPUMAP) this.checkCpumapProgram(m, key, values[0]!, flag, keyHex);
    this.checkErrno(m.map.write(key, values, flag), m, keyHex);
    await this.persistMap(m);
  }

  /**
   * cpumap.c cpu_map_update_elem: once the flags, the key, qsize and the CPU passed (the map's own errors,
   * slot-array.ts), __cpu_map_load_bpf_program refuses an fd that is not an XDP program with
   * expected_attach_type BPF_XDP_CPUMAP (-EINVAL); qsize 0 empties the slot without looking at the fd.
   */
  private checkCpumapProgram(m: MapRecord, key: Uint8Array, value: Uint8Array, flag: number, keyHex: string): void {
    const p = m.map.params;
    const prog = cpumapWrittenProgram(value, p.valueSize);
    const cpu = new DataView(key.buffer, key.byteOffset).getUint32(0, true);
    const qsize = new DataView(value.buffer, value.byteOffset).getUint32(0, true);
    const mapAccepts = flag !== UpdateFlag.NOEXIST && flag <= UpdateFlag.EXIST && cpu < p.maxEntries && cpu < this.d.datapath.cpus && qsize <= CPUMAP_MAX_QSIZE;
    if (prog === 0 || qsize === 0 || !mapAccepts || this.devmapProgram(prog, 'xdp/cpumap')) return;
    throw badRequest(`map '${m.name}': program ${prog} is not a loaded program with an xdp/cpumap section`, { map: m.name, key: keyHex, errno: Errno.EINVAL });
  }

  async deleteEntry(id: string, keyHex: string): Promise<void> {
    const m = this.mapRecord(id);
    const key = parseHex(keyHex, m.map.params.keySize, 'key');
    this.checkErrno(m.map.delete(key), m, keyHex);
    await this.persistMap(m);
  }

  /** Kernel errno of a map operation → the contract's status (ENOENT 404, EEXIST/E2BIG 409, else 400). */
  private checkErrno(rc: number, m: MapRecord, keyHex: string): void {
    if (rc === 0) return;
    const detail = { map: m.name, key: keyHex, errno: -rc };
    switch (-rc) {
      case Errno.ENOENT: throw new ApiError('not_found', `map '${m.name}': no entry with key ${keyHex}`, detail);
      case Errno.EEXIST: throw conflict(`map '${m.name}': key ${keyHex} already exists`, detail);
      case Errno.E2BIG: throw conflict(`map '${m.name}' is full (${m.map.params.maxEntries} entries)`, detail);
      case Errno.EINVAL: throw badRequest(`map '${m.name}': invalid operation for ${mapTypeName(m.map.params.type)}`, detail);
      default: throw badRequest(`map '${m.name}': operation failed with errno ${-rc}`, detail);
    }
  }

  // ── replays ───────────────────────────────────────────────────────────────────────────────────────

  async startReplay(body: ReplayBody): Promise<{ id: string }> {
    const iface = this.d.datapath.interface(body.interface);
    if (!iface) throw notFound('interface', body.interface);
    const file = await resolveConfined(this.d.pcapsDir, 'pcaps', body.pcap);
    let capture: Capture;
    try {
      // Captures must be Ethernet (design.md §4): anything else is refused naming the link type.
      capture = requireEthernet(readCapture(await readFile(file)));
    } catch (err) {
      throw badRequest(`capture '${body.pcap}': ${(err as Error).message}`, { pcap: body.pcap });
    }
    const loaded = this.d.datapath.loadCapture(capture.frames);
    const id = String(this.nextReplayId++);
    const replay = new Replay(id, this.d.datapath, iface, body.pcap, loaded,
      { speed: body.speed ?? 0, loop: body.loop ?? 1, clock: body.clock ?? 'wall' });
    this.replays.set(id, replay);
    void replay.finished.then(() => {
      const s = replay.status();
      this.d.log.info({ replay: s.id, state: s.state, framesSent: s.framesSent, error: s.error }, 'replay finished');
    });
    return { id };
  }

  listReplays(): ReplayStatus[] { return [...this.replays.values()].map((r) => r.status()); }

  getReplay(id: string): ReplayStatus {
    const r = this.replays.get(id);
    if (!r) throw notFound('replay', id);
    return r.status();
  }

  async stopReplay(id: string): Promise<ReplayStatus> {
    const r = this.replays.get(id);
    if (!r) throw notFound('replay', id);
    await r.stop();
    return r.status();
  }

  // ── persistence ───────────────────────────────────────────────────────────────────────────────────

  private currentState(): PersistedState {
    return {
      version: 1,
      nextProgramId: this.nextProgramId,
      nextMapId: this.nextMapId,
      programs: [...this.programs.values()].map((p) => ({
        id: p.id, name: p.name, createdAt: p.createdAt,
        mapIds: Object.fromEntries(p.maps.map((m) => [m.name, m.id])),
      })),
      interfaces: this.d.datapath.interfaces
        .filter((i) => i.spec.kind !== 'veth' || i.peer === null || i.ifindex < i.peer.ifindex)
        .map((i) => ({ spec: i.spec, ifindex: i.ifindex, ...(i.peer ? { peerIfindex: i.peer.ifindex } : {}) })),
      attachments: Object.fromEntries(this.attachments),
    };
  }

  private enqueue(write: () => Promise<void>): Promise<void> {
    const next = this.persisting.then(write);
    this.persisting = next.catch((err: unknown) => { this.d.log.error({ err }, 'state write failed'); });
    return next;
  }

  private persistState(): Promise<void> {
    const store = this.d.store;
    if (!store) return Promise.resolve();
    const state = this.currentState();
    return this.enqueue(() => store.writeState(state));
  }

  private persistMap(m: MapRecord): Promise<void> {
    const store = this.d.store;
    if (!store) return Promise.resolve();
    const entries: Array<{ key: string; values: string[] }> = [];
    for (const key of m.map.keys()) {
      const v = m.map.read(key);
      if (v) entries.push({ key: hex(key), values: v.map(hex) });
    }
    return this.enqueue(() => store.writeMap(m.id, { entries }));
  }

  /** Every map with what the data path wrote (the 5 s snapshot and the one on SIGTERM). */
  async snapshot(): Promise<void> {
    this.d.datapath.flushCaptures();
    for (const m of this.mapsById.values()) {
      if (m.map.params.flags & 0x8 /* BPF_F_RDONLY */) continue;
      await this.persistMap(m);
    }
    await this.persistState();
  }

  /** Bring back programs, their map contents, interfaces and attachments from the state dir. */
  async restore(): Promise<void> {
    const store = this.d.store;
    if (!store) return;
    await store.sweepTemporaries();
    const st = await store.readState();
    this.nextProgramId = st.nextProgramId;
    this.nextMapId = st.nextMapId;
    for (const p of st.programs) {
      try {
        await this.loadProgram(await store.readProgram(p.id), p.name, p);
      } catch (err) {
        this.d.log.error({ program: p.id, err }, 'persisted program failed to load; dropped');
        continue;
      }
      for (const m of this.programs.get(p.id)!.maps.filter((x) => x.programId === p.id)) {
        const saved = await store.readMap(m.id);
        for (const e of saved?.entries ?? []) {
          const values = e.values.map((v) => Uint8Array.from(Buffer.from(v, 'hex')));
          m.map.write(Uint8Array.from(Buffer.from(e.key, 'hex')), m.map.perCpu ? values : values.slice(0, 1), UpdateFlag.ANY);
        }
      }
    }
    for (const i of st.interfaces) {
      await this.addInterface(i.spec, { ifindex: i.ifindex, ...(i.peerIfindex !== undefined ? { peerIfindex: i.peerIfindex } : {}) });
    }
    for (const [ifname, att] of Object.entries(st.attachments)) {
      try {
        await this.applyAttachment(ifname, att);
      } catch (err) {
        this.d.log.error({ interface: ifname, err }, 'persisted attachment failed; interface left without a program');
      }
    }
    await this.persistState();
  }

  hasInterface(name: string): boolean { return this.d.datapath.interface(name) !== undefined; }
  hasAttachment(name: string): boolean { return this.attachments.has(name); }
  programByName(name: string): string | undefined { return [...this.programs.values()].find((p) => p.name === name)?.id; }

  async close(): Promise<void> {
    for (const r of this.replays.values()) if (r.running) await r.stop();
    await this.persisting;
  }
}
