/**
 * What the kernel oracle (native/kernel-oracle/oracle.c) reports, parsed into typed, immutable values.
 * Frame and map lines use the shapes of `xdpjit run --jsonl --dump-maps` (design.md §5), so a kernel result
 * and an xdpjit result compare field by field.
 */

/** One frame as BPF_PROG_TEST_RUN left it: the `--jsonl` line plus the output bytes as hex (for diffs). */
export interface KernelFrameResult {
  readonly i: number;
  /** `XDP_PASS`..., or `UNKNOWN(n)` for a return value outside the five actions. */
  readonly action: string;
  readonly len: number;
  /** SHA-1 of the output bytes, lowercase hex, as `xdpjit run --jsonl` prints it. */
  readonly sha1: string;
  /** The output bytes, lowercase hex: test_run copies from data_meta, so any XDP metadata comes first. */
  readonly hex: string;
  /** Bytes of XDP metadata (bpf_xdp_adjust_meta) at the start of the output, when there are any. */
  readonly metaLen?: number;
}

/** One `--dump-maps` line: `value` for shared maps, `values` (one per possible CPU) for per-CPU maps. */
export interface MapDumpLine {
  readonly map: string;
  readonly key: string;
  readonly value?: string;
  readonly values?: readonly string[];
}

/**
 * A record a program emitted through a RINGBUF map while frame `i` ran. PERF_EVENT_ARRAY records cannot be
 * read without opening a perf event, which changes what the program sees; under a test run there is none.
 */
export interface KernelEvent {
  readonly event: 'ringbuf';
  readonly i: number;
  readonly cpu: number;
  readonly map: string;
  /** Lowercase hex. */
  readonly data: string;
}

/** A frame the kernel could not run (under 14 bytes, or refused by test_run), with the kernel's reason. */
export interface SkippedFrame {
  readonly i: number;
  readonly reason: string;
}

/** The program that ran, as loaded (helper ids include those of its bpf-to-bpf subprograms). */
export interface KernelProgramInfo {
  readonly name: string;
  readonly section: string;
  readonly frags: boolean;
  readonly insns: number;
  readonly helpers: readonly number[];
}

/** A map of the object as the kernel created it; `type` is the lowercase kernel name without prefix. */
export interface KernelMapInfo {
  readonly name: string;
  readonly type: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
}

export interface KernelRunResult {
  readonly frames: readonly KernelFrameResult[];
  readonly maps: readonly MapDumpLine[];
  /** Indices of the frames the kernel did not run (see `skipReasons`). */
  readonly skipped: readonly number[];
  readonly skipReasons: readonly SkippedFrame[];
  readonly program: KernelProgramInfo;
  readonly mapInfo: readonly KernelMapInfo[];
  /**
   * LRU map name → index of the frame after which the map held its capacity in the kernel, so that a later
   * insertion may have evicted (design.md §4b: results after LRU evictions are not compared).
   */
  readonly lruFullAfter: Readonly<Record<string, number>>;
  /** Ring buffer records, in the order the kernel committed them. */
  readonly events: readonly KernelEvent[];
}

/** The kernel verifier's verdict on one program. */
export interface KernelVerdict {
  readonly program: string;
  readonly section: string;
  readonly accepted: boolean;
  /** Instructions in the object (after libbpf's relocation, as loaded). */
  readonly insns: number;
  /** `processed N insns` from the verifier's statistics; -1 when the log did not say. */
  readonly processedInsns: number;
  /** `verification time N usec` from the verifier's statistics; -1 when the log did not say. */
  readonly verificationTimeUs: number;
  /** `uname -r` of the kernel that gave the verdict (design.md §4b: labels are per kernel version). */
  readonly kernel: string;
  /** The verifier log: statistics when accepted, the level-1 trace ending at the broken rule when not. */
  readonly log: string;
}

export interface KernelBenchResult {
  /** Mean over the frames of the kernel's per-run duration (bpf_test_run's own timer), in ns. */
  readonly nsPerPacket: number;
  /** Frames measured (frames the kernel refuses are left out). */
  readonly frames: number;
  readonly repeat: number;
  readonly actions: Readonly<Record<string, number>>;
}
