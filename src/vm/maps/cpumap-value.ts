/**
 * The value of a CPUMAP slot, as userspace writes it and delivery reads it (src/dataplane/cpumap-delivery.ts):
 * a u32 qsize (value_size 4), or, with value_size 8, the kernel's
 * ```
 *  struct bpf_cpumap_val {            +0 u32 qsize          frames the target CPU's queue holds; 0 = empty slot
 *    __u32 qsize;                     +4 u32 bpf_prog       program run on the target CPU: 0 = none
 *    union { int fd; __u32 id; } bpf_prog;
 *  };
 * ```
 * As for devmap values (devmap-value.ts), the daemon's program id stands for both the fd userspace writes
 * and the id it reads back, naming that object's SEC("xdp/cpumap") program (expected_attach_type
 * BPF_XDP_CPUMAP). Stored as the kernel stores it (cpumap.c __cpu_map_entry_alloc: only fd > 0 loads a
 * program, libbpf writes -1 for none, read back as id 0). Whether a positive id names a loaded cpumap program
 * is checked by whoever owns the ids (the daemon's control plane: -EINVAL otherwise, as
 * __cpu_map_load_bpf_program's expected_attach_type check); the maps do not know the daemon's programs.
 */
export const CpumapVal = { QSIZE: 0, PROG: 4 } as const;

/** cpu_map_update_elem's "sanity limit on qsize": larger is -EOVERFLOW. */
export const CPUMAP_MAX_QSIZE = 16384;

/** The bpf_prog word of a userspace write: > 0 names a program; 0 for none (fd ≤ 0, or a 4-byte value). */
export function cpumapWrittenProgram(v: Uint8Array, valueSize: number): number {
  if (valueSize < 8 || v.length < 8) return 0;
  const fd = new DataView(v.buffer, v.byteOffset, v.byteLength).getInt32(CpumapVal.PROG, true);
  return fd > 0 ? fd : 0;
}

/** The bytes to store for a userspace write of `v` (value_size bytes): qsize, then the program id or 0. */
export function cpumapStoredValue(v: Uint8Array, valueSize: number): Uint8Array {
  const out = new Uint8Array(valueSize);
  const dv = new DataView(out.buffer);
  dv.setUint32(CpumapVal.QSIZE, new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(CpumapVal.QSIZE, true), true);
  if (valueSize >= 8) dv.setUint32(CpumapVal.PROG, cpumapWrittenProgram(v, valueSize), true);
  return out;
}

/** The cpumap program id of the stored value at `addr` (0: none), for a map of `valueSize`. */
export function cpumapProgramAt(u32: Uint32Array, addr: number, valueSize: number): number {
  return valueSize >= 8 ? u32[(addr + CpumapVal.PROG) >>> 2]! : 0;
}
