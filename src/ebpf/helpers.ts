/**
 * The one table of helper prototypes (design.md §2): the interpreter, the verifier and the JIT all read it.
 * Argument and return kinds mirror the kernel's `enum bpf_arg_type` / `enum bpf_return_type`
 * (include/linux/bpf.h) so that the verifier's checks read like the kernel's.
 */
import { MapType, type MapTypeId } from './object-spec.js';

export type ArgKind =
  | 'anything'                 // ARG_ANYTHING: any scalar (or pointer, where the kernel allows)
  | 'const_map_ptr'            // ARG_CONST_MAP_PTR
  | 'map_key'                  // ARG_PTR_TO_MAP_KEY: key_size readable bytes
  | 'map_value'                // ARG_PTR_TO_MAP_VALUE: value_size readable bytes
  | 'uninit_map_value'         // ARG_PTR_TO_UNINIT_MAP_VALUE: value_size writable bytes
  | 'mem'                      // ARG_PTR_TO_MEM | MEM_RDONLY: readable, size in the next argument
  | 'rw_mem'                   // ARG_PTR_TO_MEM: read and written by the helper, size in the next argument
  | 'mem_or_null'              // ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY
  | 'uninit_mem'               // ARG_PTR_TO_UNINIT_MEM: writable, size in the next argument
  | 'const_size'               // ARG_CONST_SIZE: > 0, bounded
  | 'const_size_or_zero'       // ARG_CONST_SIZE_OR_ZERO
  | 'ctx'                      // ARG_PTR_TO_CTX
  | 'alloc_mem'                // ARG_PTR_TO_ALLOC_MEM (ringbuf submit/discard)
  | 'const_alloc_size_or_zero' // ARG_CONST_ALLOC_SIZE_OR_ZERO (ringbuf reserve)
  | 'spin_lock'                // ARG_PTR_TO_SPIN_LOCK
  | 'func'                     // ARG_PTR_TO_FUNC (bpf_loop callback)
  | 'stack_or_null'            // ARG_PTR_TO_STACK_OR_NULL (bpf_loop ctx)
  | 'long_ptr'                 // ARG_PTR_TO_LONG (writable 8 bytes)
  | 'u32_ptr';                 // ARG_PTR_TO_FIXED_SIZE_MEM, 4 bytes read and written (check_mtu's mtu_len)

export type RetKind =
  | 'integer'                  // RET_INTEGER
  | 'void'                     // RET_VOID
  | 'map_value_or_null'        // RET_PTR_TO_MAP_VALUE_OR_NULL
  | 'alloc_mem_or_null';       // RET_PTR_TO_RINGBUF_MEM_OR_NULL: size from the const size argument

export interface HelperProto {
  readonly id: number;
  /** Without the `bpf_` prefix, as in the uapi's FN(name) list. */
  readonly name: string;
  readonly args: readonly ArgKind[];
  readonly ret: RetKind;
  /** Map types accepted by the const_map_ptr argument (kernel: check_map_func_compatibility). */
  readonly mapTypes?: readonly MapTypeId[];
  /** The helper may move data/data_end (kernel: bpf_helper_changes_pkt_data) → packet pointers invalidated. */
  readonly changesPktData: boolean;
  readonly gplOnly: boolean;
}


const M = MapType;
/** Maps a program may look up (kernel check_map_func_compatibility, XDP programs). */
const LOOKUP_MAPS = [
  M.HASH, M.ARRAY, M.PERCPU_HASH, M.PERCPU_ARRAY, M.LRU_HASH, M.LRU_PERCPU_HASH, M.LPM_TRIE,
  M.ARRAY_OF_MAPS, M.HASH_OF_MAPS, M.DEVMAP, M.DEVMAP_HASH, M.XSKMAP,
];
/** Maps a program may update or delete in (DEVMAP/XSKMAP/map-in-map are read-only to programs). */
const WRITE_MAPS = [M.HASH, M.ARRAY, M.PERCPU_HASH, M.PERCPU_ARRAY, M.LRU_HASH, M.LRU_PERCPU_HASH, M.LPM_TRIE];
const PERCPU_MAPS = [M.PERCPU_ARRAY, M.PERCPU_HASH, M.LRU_PERCPU_HASH];

const proto = (
  id: number, name: string, args: readonly ArgKind[], ret: RetKind,
  more: { mapTypes?: readonly MapTypeId[]; changesPktData?: boolean; gplOnly?: boolean } = {},
): HelperProto => Object.freeze({
  id, name, args: Object.freeze([...args]), ret,
  ...(more.mapTypes ? { mapTypes: Object.freeze([...more.mapTypes]) } : {}),
  changesPktData: more.changesPktData ?? false, gplOnly: more.gplOnly ?? false,
});

/**
 * Ids from include/uapi/linux/bpf.h's `___BPF_FUNC_MAPPER` list; argument/return kinds from the
 * `bpf_func_proto` the kernel hands an XDP program (net/core/filter.c xdp_func_proto, kernel/bpf/helpers.c,
 * kernel/trace/bpf_trace.c for trace_printk / perf output, kernel/bpf/ringbuf.c).
 */
export const HELPERS: readonly HelperProto[] = Object.freeze([
  proto(1, 'map_lookup_elem', ['const_map_ptr', 'map_key'], 'map_value_or_null', { mapTypes: LOOKUP_MAPS }),
  proto(2, 'map_update_elem', ['const_map_ptr', 'map_key', 'map_value', 'anything'], 'integer', { mapTypes: WRITE_MAPS }),
  proto(3, 'map_delete_elem', ['const_map_ptr', 'map_key'], 'integer', { mapTypes: WRITE_MAPS }),
  proto(5, 'ktime_get_ns', [], 'integer'),
  proto(6, 'trace_printk', ['mem', 'const_size'], 'integer', { gplOnly: true }),
  proto(7, 'get_prandom_u32', [], 'integer'),
  proto(8, 'get_smp_processor_id', [], 'integer'),
  proto(12, 'tail_call', ['ctx', 'const_map_ptr', 'anything'], 'void', { mapTypes: [M.PROG_ARRAY] }),
  proto(23, 'redirect', ['anything', 'anything'], 'integer'),
  proto(25, 'perf_event_output', ['ctx', 'const_map_ptr', 'anything', 'mem', 'const_size_or_zero'], 'integer',
    { mapTypes: [M.PERF_EVENT_ARRAY], gplOnly: true }),
  proto(28, 'csum_diff', ['mem_or_null', 'const_size_or_zero', 'mem_or_null', 'const_size_or_zero', 'anything'], 'integer'),
  proto(44, 'xdp_adjust_head', ['ctx', 'anything'], 'integer', { changesPktData: true }),
  proto(51, 'redirect_map', ['const_map_ptr', 'anything', 'anything'], 'integer',
    { mapTypes: [M.DEVMAP, M.DEVMAP_HASH, M.CPUMAP, M.XSKMAP] }),
  proto(54, 'xdp_adjust_meta', ['ctx', 'anything'], 'integer', { changesPktData: true }),
  proto(65, 'xdp_adjust_tail', ['ctx', 'anything'], 'integer', { changesPktData: true }),
  proto(69, 'fib_lookup', ['ctx', 'rw_mem', 'const_size', 'anything'], 'integer', { gplOnly: true }),
  proto(87, 'map_push_elem', ['const_map_ptr', 'map_value', 'anything'], 'integer', { mapTypes: [M.QUEUE, M.STACK, M.BLOOM_FILTER] }),
  proto(88, 'map_pop_elem', ['const_map_ptr', 'uninit_map_value'], 'integer', { mapTypes: [M.QUEUE, M.STACK] }),
  proto(89, 'map_peek_elem', ['const_map_ptr', 'uninit_map_value'], 'integer', { mapTypes: [M.QUEUE, M.STACK, M.BLOOM_FILTER] }),
  proto(93, 'spin_lock', ['spin_lock'], 'void'),
  proto(94, 'spin_unlock', ['spin_lock'], 'void'),
  proto(118, 'jiffies64', [], 'integer'),
  proto(125, 'ktime_get_boot_ns', [], 'integer'),
  proto(130, 'ringbuf_output', ['const_map_ptr', 'mem', 'const_size_or_zero', 'anything'], 'integer', { mapTypes: [M.RINGBUF] }),
  proto(131, 'ringbuf_reserve', ['const_map_ptr', 'const_alloc_size_or_zero', 'anything'], 'alloc_mem_or_null', { mapTypes: [M.RINGBUF] }),
  proto(132, 'ringbuf_submit', ['alloc_mem', 'anything'], 'void'),
  proto(133, 'ringbuf_discard', ['alloc_mem', 'anything'], 'void'),
  proto(134, 'ringbuf_query', ['const_map_ptr', 'anything'], 'integer', { mapTypes: [M.RINGBUF] }),
  proto(160, 'ktime_get_coarse_ns', [], 'integer'),
  proto(163, 'check_mtu', ['ctx', 'anything', 'u32_ptr', 'anything', 'anything'], 'integer'),
  proto(164, 'for_each_map_elem', ['const_map_ptr', 'func', 'stack_or_null', 'anything'], 'integer',
    { mapTypes: [M.HASH, M.LRU_HASH, M.ARRAY, M.PERCPU_HASH, M.LRU_PERCPU_HASH, M.PERCPU_ARRAY] }),
  proto(177, 'trace_vprintk', ['mem', 'const_size', 'mem_or_null', 'const_size_or_zero'], 'integer', { gplOnly: true }),
  proto(181, 'loop', ['anything', 'func', 'stack_or_null', 'anything'], 'integer'),
  proto(188, 'xdp_get_buff_len', ['ctx'], 'integer'),
  proto(189, 'xdp_load_bytes', ['ctx', 'anything', 'uninit_mem', 'const_size'], 'integer'),
  proto(190, 'xdp_store_bytes', ['ctx', 'anything', 'mem', 'const_size'], 'integer'),
  proto(195, 'map_lookup_percpu_elem', ['const_map_ptr', 'map_key', 'anything'], 'map_value_or_null', { mapTypes: PERCPU_MAPS }),
]);

const BY_ID: ReadonlyMap<number, HelperProto> = new Map(HELPERS.map((h) => [h.id, h]));
const BY_NAME: ReadonlyMap<string, HelperProto> = new Map(HELPERS.map((h) => [h.name, h]));

/** The prototype of helper `id`, undefined for a helper XDP programs cannot call here. */
export function helperById(id: number): HelperProto | undefined {
  return BY_ID.get(id);
}

/** By name, with or without the `bpf_` prefix. */
export function helperByName(name: string): HelperProto | undefined {
  return BY_NAME.get(name.startsWith('bpf_') ? name.slice(4) : name);
}

export { MapType };
