/**
 * The arena's fixed layout (design.md §2). One shared WebAssembly.Memory holds everything; addresses are
 * 32-bit offsets into it, and an eBPF pointer register holds such an offset zero-extended to 64 bits.
 *
 * ```
 *  0x0000_0000 ┌──────────────────────────────┐
 *              │ never allocated (NULL guard)  │ 64 KiB: address 0..0xffff is never a valid object
 *  0x0001_0000 ├──────────────────────────────┤
 *              │ control block (4 KiB)         │ magic, layout version, CPU count, allocator cursor
 *  0x0001_1000 ├──────────────────────────────┤
 *              │ per-CPU region × MAX_CPUS     │ CPU_REGION_SIZE each (below)
 *              ├──────────────────────────────┤
 *              │ heap: maps, frame slots,      │ bump/size-class allocator owned by src/vm/arena.ts
 *              │ descriptor rings, counters    │
 *              └──────────────────────────────┘
 * ```
 *
 * Per-CPU region (one per worker; each starts on its own 4 KiB boundary, so no two CPUs share a line):
 * ```
 *  +0x0000  eBPF stack, STACK_FRAMES × STACK_FRAME_SIZE bytes. Call frame k has
 *           r10 = region + STACK_TOP - k * STACK_FRAME_SIZE (the stack grows down, as in the kernel).
 *  +0x1000  redirect state (64 B): see RedirectState offsets
 *  +0x1040  helper scratch (960 B)
 *  +0x1400  engine-private (3 KiB): tail-call counter, callback frames...
 * ```
 *
 * Frame slot (4 KiB, as the kernel's page-sized xdp_buff):
 * ```
 *  slot+0      headroom, XDP_PACKET_HEADROOM = 256 bytes (adjust_head / adjust_meta grow into it)
 *  slot+256    linear packet data, at most MAX_LINEAR = 3520 bytes
 *  slot+3776   tailroom, 320 bytes (the kernel's skb_shared_info); adjust_tail may grow into it
 * ```
 *
 * Frame descriptor (DESC_SIZE = 64 B): the first 24 bytes *are* `struct xdp_md`, so the program's ctx
 * pointer is the descriptor address and ctx loads need no rewriting:
 * ```
 *  +0  u32 data            +4  u32 data_end        +8  u32 data_meta
 *  +12 u32 ingress_ifindex +16 u32 rx_queue_index  +20 u32 egress_ifindex      ← struct xdp_md
 *  +24 u32 action (out)    +28 u32 redirect kind   +32 u32 redirect target (out)
 *  +36 u32 slot address    +40 u32 fragments' total length (multi-buffer)    +44 u32 fragments address
 *  +48 u32 error code (out, 0 = none)              +52 u32 redirect map (out)
 *  +56 u32 redirect value (out)                     +60 u32 redirect flags (out)
 * ```
 * The redirect fields (valid when action = XDP_REDIRECT) are the kernel's bpf_redirect_info as
 * __bpf_xdp_redirect_map leaves it, for delivery (src/dataplane/devmap-delivery.ts, dev_map_enqueue[_multi]):
 * `map` the map header address (0 for bpf_redirect), `value` the slot's value address the lookup found
 * (ri->tgt_value: for a DEVMAP/DEVMAP_HASH target its struct bpf_devmap_val, whose second word names the
 * devmap program; 0 when none), `flags` the helper's flags when BPF_F_BROADCAST is among them (ri->flags:
 * BPF_F_BROADCAST = 1 << 3, BPF_F_EXCLUDE_INGRESS = 1 << 4, plus the action bits), else 0.
 */
export const NULL_GUARD = 0x1_0000;
export const CONTROL_BLOCK = 0x1_0000;
export const CONTROL_BLOCK_SIZE = 0x1000;

export const MAX_CPUS = 64;
export const CPU_REGION_BASE = CONTROL_BLOCK + CONTROL_BLOCK_SIZE;
export const CPU_REGION_SIZE = 0x2000;
export const STACK_FRAME_SIZE = 512;
export const STACK_FRAMES = 8;
export const STACK_TOP = STACK_FRAME_SIZE * STACK_FRAMES;
export const REDIRECT_STATE = 0x1000;
export const HELPER_SCRATCH = 0x1040;
export const HELPER_SCRATCH_SIZE = 960;
export const ENGINE_PRIVATE = 0x1400;

/** First byte the heap allocator may hand out. */
export const HEAP_BASE = CPU_REGION_BASE + MAX_CPUS * CPU_REGION_SIZE;

export const cpuRegion = (cpu: number): number => CPU_REGION_BASE + cpu * CPU_REGION_SIZE;
/** r10 of the outermost call frame on `cpu`. */
export const stackTop = (cpu: number): number => cpuRegion(cpu) + STACK_TOP;

export const FRAME_SLOT_SIZE = 4096;
export const XDP_PACKET_HEADROOM = 256;
export const MAX_LINEAR = 3520;
export const TAILROOM = FRAME_SLOT_SIZE - XDP_PACKET_HEADROOM - MAX_LINEAR;

export const DESC_SIZE = 64;
export const Desc = {
  DATA: 0, DATA_END: 4, DATA_META: 8, INGRESS_IFINDEX: 12, RX_QUEUE_INDEX: 16, EGRESS_IFINDEX: 20,
  ACTION: 24, REDIRECT_KIND: 28, REDIRECT_TARGET: 32, SLOT: 36, FRAGS_LEN: 40, FRAGS_ADDR: 44, ERROR: 48,
  REDIRECT_MAP: 52, REDIRECT_VALUE: 56, REDIRECT_FLAGS: 60,
} as const;
/** sizeof(struct xdp_md): ctx accesses beyond it are rejected by the verifier. */
export const XDP_MD_SIZE = 24;

/** Redirect kinds written by bpf_redirect / bpf_redirect_map into the descriptor. */
export const RedirectKind = { NONE: 0, IFINDEX: 1, CPU: 2, XSK: 3, BROADCAST: 4 } as const;

/** bpf_redirect_map flags (uapi/linux/bpf.h) that ask for delivery to every device of the map. */
export const BPF_F_BROADCAST = 1 << 3;
export const BPF_F_EXCLUDE_INGRESS = 1 << 4;

/**
 * Per-CPU redirect state at cpuRegion(cpu) + REDIRECT_STATE (the kernel's bpf_redirect_info): written by
 * bpf_redirect / bpf_redirect_map, cleared by the runner before each frame, read when the program returns
 * XDP_REDIRECT.
 * ```
 *  +0 u32 kind (RedirectKind)   +4 u32 target (ifindex, cpu or xsk queue)   +8 u32 map address (0: none)
 *  +12 u32 value address (ri->tgt_value, 0: none)                           +16 u32 flags (ri->flags)
 * ```
 */
export const RedirectState = { KIND: 0, TARGET: 4, MAP: 8, VALUE: 12, FLAGS: 16 } as const;
/** Bytes of RedirectState a runner clears before each frame. */
export const REDIRECT_STATE_BYTES = 20;

/**
 * What a runner copies from RedirectState into the descriptor when the program returned XDP_REDIRECT
 * (interpreter, JIT run_batch and the data plane's processor all use this one list).
 */
export const REDIRECT_TO_DESC: readonly (readonly [state: number, desc: number])[] = [
  [RedirectState.KIND, Desc.REDIRECT_KIND], [RedirectState.TARGET, Desc.REDIRECT_TARGET], [RedirectState.MAP, Desc.REDIRECT_MAP],
  [RedirectState.VALUE, Desc.REDIRECT_VALUE], [RedirectState.FLAGS, Desc.REDIRECT_FLAGS],
];
