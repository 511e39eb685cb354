/**
 * Compares one program's run over one capture in the kernel and in an xdpjit engine, as design.md §4b
 * prescribes: per frame the action, output length and output bytes (no bytes for DROP and ABORTED), then
 * every map entry; and leaves out, by design, what the kernel cannot judge (frames under 14 bytes, bytes of
 * frames over 3,520, results that depend on time, randomness or the host, LRU contents after evictions).
 */
import { createHash } from 'node:crypto';
import type { KernelFrameResult, KernelMapInfo, KernelProgramInfo, KernelRunResult, MapDumpLine } from './oracle-types.js';

/** One `xdpjit run --jsonl` frame line. */
export interface EngineFrameLine {
  readonly i: number;
  readonly action: string;
  readonly len: number;
  readonly sha1: string;
  readonly error?: string;
}

/** One `xdpjit run --jsonl` ring buffer or perf record line. */
export interface EngineEventLine {
  readonly event: 'ringbuf' | 'perf';
  readonly i: number;
  readonly cpu: number;
  readonly map: string;
  readonly data: string;
}

/** What an xdpjit engine printed for the run, plus the bytes of the frames that left (its `--out`). */
export interface EngineRun {
  readonly frames: readonly EngineFrameLine[];
  readonly maps: readonly MapDumpLine[];
  readonly events: readonly EngineEventLine[];
  /** Output bytes of the frames that left (PASS, TX, REDIRECT), in order; absent when not captured. */
  readonly leftBytes?: readonly Uint8Array[];
}

/** What is compared for a program. */
export interface ComparePolicy {
  /** Per-frame action, length and bytes; false when the verdicts depend on time, randomness or the host. */
  readonly frames: boolean;
  /** Map values; false leaves keys only. */
  readonly mapValues: boolean;
  /** Why something is left out, for the summary. */
  readonly notes: readonly string[];
}

/** Helper ids (include/uapi/linux/bpf.h ___BPF_FUNC_MAPPER) whose results differ between the two sides. */
const TIME_HELPERS: ReadonlyMap<number, string> = new Map([
  [5, 'ktime_get_ns'],
  [118, 'jiffies64'],
  [125, 'ktime_get_boot_ns'],
  [160, 'ktime_get_coarse_ns'],
  [208, 'ktime_get_tai_ns'],
]);
const RANDOM_HELPERS: ReadonlyMap<number, string> = new Map([[7, 'get_prandom_u32']]);
const HOST_HELPERS: ReadonlyMap<number, string> = new Map([
  [69, 'fib_lookup'],
  [163, 'check_mtu'],
]);

/** Per-program overrides of the derived policy, for programs whose verdicts hold under any clock etc. */
export type PolicyOverrides = Readonly<Record<string, Partial<Pick<ComparePolicy, 'frames' | 'mapValues'>> & { readonly why?: string }>>;

/** include/uapi/linux/bpf.h: without it a BLOOM_FILTER hashes with a random seed (bloom_map_alloc). */
const BPF_F_ZERO_SEED = 1 << 6;

/**
 * What `program` (with the object's `maps`) can be compared on. A Bloom filter's false positives depend on
 * its seed, random per map unless BPF_F_ZERO_SEED: a source of randomness like get_prandom_u32.
 */
export function policyFor(program: KernelProgramInfo, overrides: PolicyOverrides = {}, maps: readonly KernelMapInfo[] = []): ComparePolicy {
  const used = (table: ReadonlyMap<number, string>): string[] => program.helpers.filter((h) => table.has(h)).map((h) => table.get(h) as string);
  const seeded = maps.filter((m) => m.type === 'bloom_filter' && (m.flags & BPF_F_ZERO_SEED) === 0).map((m) => `${m.name} (Bloom filter, random seed)`);
  const dependent = [...used(TIME_HELPERS), ...used(RANDOM_HELPERS), ...used(HOST_HELPERS), ...seeded];
  const notes: string[] = [];
  let frames = true;
  let mapValues = true;
  if (dependent.length > 0) {
    frames = false;
    mapValues = false;
    notes.push(`${dependent.join('/')}: verdicts and map values not compared`);
  }
  const o = overrides[program.name];
  if (o) {
    frames = o.frames ?? frames;
    mapValues = o.mapValues ?? mapValues;
    notes.push(`override${o.why ? `: ${o.why}` : ''}`);
  }
  return Object.freeze({ frames, mapValues, notes: Object.freeze(notes) });
}

export type Mismatch =
  | {
      readonly kind: 'frame';
      readonly i: number;
      readonly what: 'missing' | 'error' | 'action' | 'len' | 'bytes' | 'events';
      readonly kernel: string;
      readonly xdpjit: string;
      /** First differing byte offset, when both sides' bytes were available. */
      readonly byteOffset?: number;
    }
  | {
      readonly kind: 'map';
      readonly map: string;
      readonly key?: string;
      readonly what: 'only-in-kernel' | 'only-in-xdpjit' | 'value' | 'unknown-map';
      readonly kernel?: string;
      readonly xdpjit?: string;
      readonly cpu?: number;
    };

export interface CompareReport {
  readonly framesCompared: number;
  readonly mapEntriesCompared: number;
  readonly mismatches: readonly Mismatch[];
  readonly notes: readonly string[];
}

/** XDP's linear data limit in a 4 KiB frame (design.md §2): bytes beyond it live in fragments. */
const MAX_LINEAR = 3520;
const ETH_HLEN = 14;
/* Actions whose frames leave the program, so their bytes matter (and `--out` writes them). */
const LEAVING = new Set(['XDP_PASS', 'XDP_TX', 'XDP_REDIRECT']);

/** Map types the oracle dumps (oracle.c dumpable()); xdpjit lines of other types are not comparable. */
const DUMPED_TYPES = new Set(['hash', 'array', 'prog_array', 'percpu_hash', 'percpu_array', 'lru_hash', 'lru_percpu_hash', 'lpm_trie', 'array_of_maps', 'hash_of_maps', 'devmap', 'cpumap', 'devmap_hash']);
/** fd-holding array maps: the kernel lists only filled slots. */
const SLOT_TYPES = new Set(['prog_array', 'devmap', 'cpumap', 'array_of_maps']);
const LRU_TYPES = new Set(['lru_hash', 'lru_percpu_hash']);
/** include/uapi/linux/bpf.h: a per-CPU LRU list, which evicts at max_entries / possible CPUs. */
const BPF_F_NO_COMMON_LRU = 1 << 1;

export interface CompareInput {
  readonly kernel: KernelRunResult;
  readonly xdpjit: EngineRun;
  /** Captured length of each input frame. */
  readonly inputLengths: readonly number[];
  readonly policy: ComparePolicy;
  /** The kernel's possible CPUs (per-CPU LRU capacity). */
  readonly possibleCpus: number;
  /** Frames after this index are not compared (default: all are). */
  readonly lastComparedFrame?: number;
}

export function compareRuns(input: CompareInput): CompareReport {
  const mismatches: Mismatch[] = [];
  const notes = [...input.policy.notes];
  const full = Object.entries(input.kernel.lruFullAfter).sort((a, b) => a[1] - b[1])[0];
  if (full) {
    // From here on a kernel insertion may evict, and what it evicts is the kernel's LRU policy: every
    // verdict and value that follows may depend on it.
    notes.push(`${full[0]} (LRU) full after frame ${full[1]}: later frames and map values not compared`);
    input = { ...input, policy: { ...input.policy, mapValues: false }, lastComparedFrame: full[1] };
  }
  const framesCompared = compareFrames(input, mismatches, notes);
  const mapEntriesCompared = compareMaps(input, mismatches, notes);
  return Object.freeze({ framesCompared, mapEntriesCompared, mismatches: Object.freeze(mismatches), notes: Object.freeze(notes) });
}

function compareFrames(input: CompareInput, out: Mismatch[], notes: string[]): number {
  const { kernel, xdpjit, inputLengths, policy } = input;
  const kernelByIndex = new Map(kernel.frames.map((f) => [f.i, f]));
  const engineByIndex = new Map(xdpjit.frames.map((f) => [f.i, f]));
  // The k-th frame that left is the k-th line with a leaving action: that is how --out bytes map to frames.
  const leftIndex = new Map<number, number>();
  xdpjit.frames.filter((f) => LEAVING.has(f.action)).forEach((f, k) => leftIndex.set(f.i, k));
  const kernelEvents = byFrame(kernel.events);
  const engineEvents = byFrame(xdpjit.events);
  let compared = 0;
  let jumbo = 0;
  if (kernel.skipped.length > 0) notes.push(`${kernel.skipped.length} refused by the kernel (under ${ETH_HLEN} B or test_run error)`);
  for (let i = 0; i < inputLengths.length; i++) {
    const k = kernelByIndex.get(i);
    const e = engineByIndex.get(i);
    if (!e) {
      out.push({ kind: 'frame', i, what: 'missing', kernel: k ? k.action : 'skipped', xdpjit: 'no line for this frame' });
      continue;
    }
    if (e.error !== undefined) {
      out.push({ kind: 'frame', i, what: 'error', kernel: k ? k.action : 'skipped', xdpjit: `error: ${e.error}` });
      continue;
    }
    if (!k || !policy.frames || i > (input.lastComparedFrame ?? Infinity)) continue;
    compared++;
    if (k.action !== e.action) {
      out.push({ kind: 'frame', i, what: 'action', kernel: k.action, xdpjit: e.action });
      continue;
    }
    if (k.len !== e.len) {
      const why = omitsMetadata(k, e) ? ` (the frame without the ${k.metaLen} bytes of XDP metadata test_run copies out before it)` : '';
      out.push({ kind: 'frame', i, what: 'len', kernel: String(k.len), xdpjit: `${e.len}${why}` });
      continue;
    }
    const eventDiff = compareEvents(kernelEvents.get(i) ?? [], engineEvents.get(i) ?? []);
    if (eventDiff) {
      out.push({ kind: 'frame', i, what: 'events', ...eventDiff });
      continue;
    }
    if (k.action === 'XDP_DROP' || k.action === 'XDP_ABORTED') continue;
    if ((inputLengths[i] as number) > MAX_LINEAR) {
      jumbo++;
      continue;
    }
    if (k.sha1 === e.sha1) continue;
    const left = leftIndex.get(i);
    const bytes = left === undefined ? undefined : xdpjit.leftBytes?.[left];
    const mismatch: Mismatch = { kind: 'frame', i, what: 'bytes', kernel: `sha1 ${k.sha1}`, xdpjit: `sha1 ${e.sha1}` };
    if (bytes && bytes.length === e.len) {
      const kb = Buffer.from(k.hex, 'hex');
      let off = 0;
      while (off < kb.length && kb[off] === bytes[off]) off++;
      out.push({ ...mismatch, byteOffset: off, kernel: `${mismatch.kernel}, byte ${off} = ${hexByte(kb[off])}`, xdpjit: `${mismatch.xdpjit}, byte ${off} = ${hexByte(bytes[off])}` });
    } else {
      out.push(mismatch);
    }
  }
  if (jumbo > 0) notes.push(`${jumbo} over ${MAX_LINEAR} B: bytes not compared`);
  return compared;
}

function byFrame<E extends { readonly i: number }>(events: readonly E[]): Map<number, E[]> {
  const m = new Map<number, E[]>();
  for (const e of events) {
    const list = m.get(e.i);
    if (list) list.push(e);
    else m.set(e.i, [e]);
  }
  return m;
}

const eventText = (e: { event: string; cpu: number; map: string; data: string }): string => `${e.event} ${e.map} cpu${e.cpu} ${e.data}`;

/**
 * A frame's ring buffer and perf records, in order. The kernel run has no perf reader (see KernelEvent), so
 * perf records on xdpjit's side are a difference too.
 */
function compareEvents(k: readonly EngineEventLine[], e: readonly EngineEventLine[]): { kernel: string; xdpjit: string } | undefined {
  const n = Math.max(k.length, e.length);
  for (let j = 0; j < n; j++) {
    const a = k[j];
    const b = e[j];
    if (a && b && a.event === b.event && a.map === b.map && a.cpu === b.cpu && a.data.toLowerCase() === b.data.toLowerCase()) continue;
    return {
      kernel: a ? `record ${j}: ${eventText(a)}` : `${k.length} record(s)`,
      xdpjit: b ? `record ${j}: ${eventText(b)}` : `${e.length} record(s)`,
    };
  }
  return undefined;
}

/** Whether the engine's output is the kernel's without the metadata at its start. */
function omitsMetadata(k: KernelFrameResult, e: EngineFrameLine): boolean {
  if (k.metaLen === undefined || e.len !== k.len - k.metaLen) return false;
  return createHash('sha1').update(Buffer.from(k.hex.slice(2 * k.metaLen), 'hex')).digest('hex') === e.sha1;
}

const hexByte = (b: number | undefined): string => (b === undefined ? 'end of frame' : `0x${b.toString(16).padStart(2, '0')}`);

function compareMaps(input: CompareInput, out: Mismatch[], notes: string[]): number {
  const { kernel, xdpjit, policy } = input;
  const info = new Map<string, KernelMapInfo>(kernel.mapInfo.map((m) => [m.name, m]));
  const group = (lines: readonly MapDumpLine[]): Map<string, Map<string, MapDumpLine>> => {
    const g = new Map<string, Map<string, MapDumpLine>>();
    for (const l of lines) {
      let m = g.get(l.map);
      if (!m) g.set(l.map, (m = new Map()));
      m.set(l.key.toLowerCase(), l);
    }
    return g;
  };
  const k = group(kernel.maps);
  const e = group(xdpjit.maps);
  for (const name of e.keys()) {
    if (!info.has(name)) out.push({ kind: 'map', map: name, what: 'unknown-map', xdpjit: 'dumped by xdpjit, but the kernel has no map of this name' });
  }
  let compared = 0;
  for (const m of [...info.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!DUMPED_TYPES.has(m.type)) continue;
    const kEntries = k.get(m.name) ?? new Map<string, MapDumpLine>();
    const eEntries = e.get(m.name) ?? new Map<string, MapDumpLine>();
    if (LRU_TYPES.has(m.type) && m.name in kernel.lruFullAfter) continue;
    if (LRU_TYPES.has(m.type)) {
      const capacity = m.flags & BPF_F_NO_COMMON_LRU ? Math.floor(m.maxEntries / input.possibleCpus) : m.maxEntries;
      if (kEntries.size >= capacity || eEntries.size >= capacity) {
        notes.push(`${m.name}: LRU full (${kEntries.size}/${eEntries.size} of ${capacity}), not compared`);
        continue;
      }
    }
    for (const [key, kl] of kEntries) {
      const el = eEntries.get(key);
      compared++;
      if (!el) {
        out.push({ kind: 'map', map: m.name, key, what: 'only-in-kernel', kernel: shown(kl) });
        continue;
      }
      if (policy.mapValues) compareValues(m, key, kl, el, out);
    }
    for (const [key, el] of eEntries) {
      if (kEntries.has(key)) continue;
      // The kernel cannot list an empty slot of an fd array; xdpjit may print it as nothing in it.
      if (SLOT_TYPES.has(m.type) && isEmptySlot(el)) continue;
      out.push({ kind: 'map', map: m.name, key, what: 'only-in-xdpjit', xdpjit: shown(el) });
    }
  }
  return compared;
}

function isEmptySlot(l: MapDumpLine): boolean {
  const v = l.value ?? '';
  return !v.startsWith('@') && /^0*$/.test(v);
}

const shown = (l: MapDumpLine): string => (l.values ? `[${l.values.join(', ')}]` : String(l.value));

/**
 * Per-CPU values: slot 0 is where both sides ran; the other slots must be as the fill left them on both
 * sides (compared where both sides have the slot: xdpjit's CPU count need not be the kernel's).
 */
function compareValues(m: KernelMapInfo, key: string, kl: MapDumpLine, el: MapDumpLine, out: Mismatch[]): void {
  if (kl.values) {
    const ev = el.values;
    if (!ev) {
      out.push({ kind: 'map', map: m.name, key, what: 'value', kernel: shown(kl), xdpjit: `${shown(el)} (not per-CPU)` });
      return;
    }
    const n = Math.min(kl.values.length, ev.length);
    for (let cpu = 0; cpu < n; cpu++) {
      if ((kl.values[cpu] as string).toLowerCase() !== (ev[cpu] as string).toLowerCase()) {
        out.push({ kind: 'map', map: m.name, key, what: 'value', cpu, kernel: kl.values[cpu] as string, xdpjit: ev[cpu] as string });
        return;
      }
    }
    return;
  }
  if (String(kl.value).toLowerCase() !== String(el.value).toLowerCase()) {
    out.push({ kind: 'map', map: m.name, key, what: 'value', kernel: shown(kl), xdpjit: shown(el) });
  }
}

/** One line a person can act on: which frame or entry, what each side said. */
export function describeMismatch(m: Mismatch): string {
  if (m.kind === 'frame') {
    const at = m.byteOffset === undefined ? '' : ` (first differing byte at offset ${m.byteOffset})`;
    return `frame ${m.i}: ${m.what} differs${at}: kernel ${m.kernel} | xdpjit ${m.xdpjit}`;
  }
  const where = `map ${m.map}${m.key !== undefined ? ` key ${m.key}` : ''}${m.cpu !== undefined ? ` cpu ${m.cpu}` : ''}`;
  return `${where}: ${m.what}: kernel ${m.kernel ?? '-'} | xdpjit ${m.xdpjit ?? '-'}`;
}
