/**
 * The value of a DEVMAP / DEVMAP_HASH slot, as userspace writes it and delivery reads it
 * (src/dataplane/devmap-delivery.ts): a u32 ifindex (value_size 4), or, with value_size 8, the kernel's
 * ```
 *  struct bpf_devmap_val {            +0 u32 ifindex        egress device
 *    __u32 ifindex;                   +4 u32 bpf_prog       program run on each frame before it leaves:
 *    union { int fd; __u32 id; } bpf_prog;                  0 = none
 *  };
 * ```
 * xdpjit has no file descriptors: the daemon's program id (`POST /v1/programs` answers `id`, a number)
 * stands for both the fd userspace writes and the id it reads back, and names that object's program in
 * section SEC("xdp/devmap") (expected_attach_type BPF_XDP_DEVMAP). Stored as the kernel stores it
 * (devmap.c __dev_map_alloc_node): a write with bpf_prog.fd ≤ 0 (libbpf writes -1) means no program and reads
 * back as id 0; ifindex 0 with a program is -EINVAL in a DEVMAP (the slot would be empty), and ifindex 0 is
 * -EINVAL in a DEVMAP_HASH (__dev_map_hash_update_elem). Whether a positive id names a loaded devmap program
 * is checked by whoever owns the ids (the daemon's control plane), as the kernel checks the fd
 * (bpf_prog_get_type_dev, expected_attach_type) — the maps here do not know the daemon's programs.
 */
import { Errno } from './errno.js';

export const DevmapVal = { IFINDEX: 0, PROG: 4 } as const;

/** The bpf_prog word of a userspace write: > 0 names a program; 0 for none (fd ≤ 0, or a 4-byte value). */
export function devmapWrittenProgram(v: Uint8Array, valueSize: number): number {
  if (valueSize < 8 || v.length < 8) return 0;
  const fd = new DataView(v.buffer, v.byteOffset, v.byteLength).getInt32(DevmapVal.PROG, true);
  return fd > 0 ? fd : 0;
}

/**
 * The bytes to store for a userspace write of `v` (value_size bytes), or a negative errno. `hash`: a
 * DEVMAP_HASH (ifindex 0 refused) rather than a DEVMAP (ifindex 0 empties the slot).
 */
export function devmapStoredValue(v: Uint8Array, valueSize: number, hash: boolean): Uint8Array | number {
  if (v.length < valueSize || valueSize < 4) return -Errno.EINVAL;
  const ifindex = new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(DevmapVal.IFINDEX, true);
  const prog = devmapWrittenProgram(v, valueSize);
  if (ifindex === 0 && (hash || prog !== 0)) return -Errno.EINVAL;
  const out = new Uint8Array(valueSize);
  const dv = new DataView(out.buffer);
  dv.setUint32(DevmapVal.IFINDEX, ifindex, true);
  if (valueSize >= 8) dv.setUint32(DevmapVal.PROG, prog, true);
  return out;
}

/** The devmap program id of the stored value at `addr` (0: none), for a map of `valueSize`. */
export function devmapProgramAt(u32: Uint32Array, addr: number, valueSize: number): number {
  return valueSize >= 8 ? u32[(addr + DevmapVal.PROG) >>> 2]! : 0;
}
