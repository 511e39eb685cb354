/**
 * What an ELF object *says* (cilium/ebpf's CollectionSpec): parsed, typed, immutable, not yet loaded.
 * The loaded, arena-backed counterparts live in src/vm. Nothing here holds an address.
 *
 * Map references inside instructions follow the kernel's own convention (libbpf puts a map fd in the
 * immediate; we put the map's index in `ObjectSpec.maps`):
 *   LD_IMM64 src=1 (BPF_PSEUDO_MAP_FD)    imm = map index                 → the map itself
 *   LD_IMM64 src=2 (BPF_PSEUDO_MAP_VALUE) imm = map index, next.imm = off → address of value byte `off`
 *                                                                          (global data: .rodata/.data/.bss)
 * bpf-to-bpf calls are already resolved: CALL src=1 (BPF_PSEUDO_CALL) imm = relative slot offset - 1,
 * exactly as the kernel receives it, with every reachable `.text` function appended after the entry.
 */
import type { Insn } from './insn.js';
import type { BtfSpec } from './btf/btf.js';

/** BPF_MAP_TYPE_* numbering from include/uapi/linux/bpf.h. */
export const MapType = {
  UNSPEC: 0, HASH: 1, ARRAY: 2, PROG_ARRAY: 3, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5, PERCPU_ARRAY: 6,
  STACK_TRACE: 7, CGROUP_ARRAY: 8, LRU_HASH: 9, LRU_PERCPU_HASH: 10, LPM_TRIE: 11, ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13, DEVMAP: 14, SOCKMAP: 15, CPUMAP: 16, XSKMAP: 17, SOCKHASH: 18, CGROUP_STORAGE: 19,
  REUSEPORT_SOCKARRAY: 20, PERCPU_CGROUP_STORAGE: 21, QUEUE: 22, STACK: 23, SK_STORAGE: 24,
  DEVMAP_HASH: 25, STRUCT_OPS: 26, RINGBUF: 27, INODE_STORAGE: 28, TASK_STORAGE: 29, BLOOM_FILTER: 30,
  USER_RINGBUF: 31, CGRP_STORAGE: 32, ARENA: 33,
} as const;
export type MapTypeId = number;

export function mapTypeName(t: MapTypeId): string {
  for (const [k, v] of Object.entries(MapType)) if (v === t) return `BPF_MAP_TYPE_${k}`;
  return `map type ${t}`;
}

/** BPF_F_* map flags (uapi). */
export const MapFlag = {
  NO_PREALLOC: 1 << 0, NO_COMMON_LRU: 1 << 1, NUMA_NODE: 1 << 2, RDONLY: 1 << 3, WRONLY: 1 << 4,
  STACK_BUILD_ID: 1 << 5, ZERO_SEED: 1 << 6, RDONLY_PROG: 1 << 7, WRONLY_PROG: 1 << 8, CLONE: 1 << 9,
  MMAPABLE: 1 << 10, PRESERVE_ELEMS: 1 << 11, INNER_MAP: 1 << 12,
} as const;

export type MapOrigin =
  | { readonly kind: 'btf' }                      // SEC(".maps") struct with __uint/__type members
  | { readonly kind: 'legacy' }                   // SEC("maps") struct bpf_map_def
  | { readonly kind: 'global'; readonly section: string }; // .rodata, .data, .bss, .rodata.*, .data.*

/** A global variable inside a global-data map (from BTF DATASEC), settable before load when `const volatile`. */
export interface GlobalVarSpec {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly btfType?: number;
}

/** An initialiser slot of PROG_ARRAY / map-in-map `.values = { [i] = &x }`. */
export interface MapInitSlot {
  readonly index: number;
  /** Program name (PROG_ARRAY) or map name (ARRAY_OF_MAPS / HASH_OF_MAPS). */
  readonly ref: string;
}

export interface MapSpec {
  /** ELF symbol name, or the section name for global data (".rodata", ".bss", ".data.foo"). */
  readonly name: string;
  readonly type: MapTypeId;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** `__uint(map_extra, N)` (BTF maps only): BLOOM_FILTER's number of hash functions in its low 4 bits. */
  readonly mapExtra?: number;
  readonly pinning: 'none' | 'by_name';
  readonly origin: MapOrigin;
  /** BTF type ids of key and value where the object describes them. */
  readonly btfKeyType?: number;
  readonly btfValueType?: number;
  /** Inner map template for ARRAY_OF_MAPS / HASH_OF_MAPS. */
  readonly innerMap?: MapSpec;
  readonly initSlots: readonly MapInitSlot[];
  /** Initial contents of a global-data map (`.bss`: zeros). Length = valueSize. */
  readonly initialData?: Uint8Array;
  readonly globals: readonly GlobalVarSpec[];
}

export interface LineInfo {
  /** Instruction (slot) index within the linked program. */
  readonly insn: number;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The source line's text, as BTF stores it. */
  readonly text: string;
}

export interface FuncSpec {
  /** First instruction (slot) of the function within the linked program. */
  readonly insn: number;
  readonly name: string;
  /** Global (non-static) functions are verified on their own against their BTF signature. */
  readonly linkage: 'static' | 'global';
  readonly btfType?: number;
}

export interface CoreRelocSpec {
  readonly insn: number;
  readonly kind: number;
  readonly typeId: number;
  readonly accessor: string;
}

export type ProgramKind = 'xdp' | 'xdp.frags' | 'xdp/devmap' | 'xdp/cpumap';

export interface ProgramSpec {
  /** The entry function's symbol name. */
  readonly name: string;
  /** The ELF section it came from ("xdp", "xdp/firewall", "xdp.frags", ...). */
  readonly section: string;
  readonly kind: ProgramKind;
  /** Entry function first, then every `.text` function it reaches, calls resolved (see header). */
  readonly insns: readonly Insn[];
  readonly funcs: readonly FuncSpec[];
  /** Sorted by insn; may be empty when the object has no BTF.ext. */
  readonly lines: readonly LineInfo[];
  /** CO-RE relocations already applied (kept for diagnostics). */
  readonly coreRelocs: readonly CoreRelocSpec[];
}

/** libxdp's `.xdp_run_config` for one program: `XDP_RUN_CONFIG(prog)` with priority and chain_call_actions. */
export interface XdpRunConfig {
  readonly priority: number;
  /** Bit mask over XDP actions (1 << XDP_PASS, ...). */
  readonly chainCallActions: number;
}

export interface ObjectSpec {
  readonly license: string;
  readonly kernelVersion?: number;
  readonly programs: readonly ProgramSpec[];
  readonly maps: readonly MapSpec[];
  /** Keyed by program name. */
  readonly runConfigs: ReadonlyMap<string, XdpRunConfig>;
  /** The object's BTF (types of map keys/values, globals, function signatures), when it has a .BTF section. */
  readonly btf?: BtfSpec;
}
