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
  | 'long_ptr';                // ARG_PTR_TO_LONG (writable 8 bytes)

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

export { MapType };
