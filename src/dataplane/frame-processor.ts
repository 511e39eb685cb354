/**
 * The narrow contract between the data plane and whatever runs XDP programs (the interpreter or the JIT
 * engine of src/vm/runtime). A processor runs on one worker thread ("CPU") against the shared arena; the
 * data plane fills frame descriptors (arena-layout.ts `Desc`), calls `runBatch` once per batch, and reads
 * the action / redirect fields the program wrote back. JS enters the engine once per batch (design.md §3).
 *
 * Processors are built *inside* each worker from a structured-cloneable recipe: the worker imports
 * `recipe.module` and calls its exported `createProcessor(memory, recipe.spec, cpu)`. That keeps program
 * preparation (wasm instantiation, helper tables) per isolate while the arena itself is shared.
 */

/**
 * The arena's memory as the data plane uses it: a shared WebAssembly.Memory (structurally; the project's
 * TypeScript lib set has no WebAssembly namespace). Engines that instantiate wasm against it receive the
 * real `WebAssembly.Memory` object, which is what workers are given.
 */
export interface ArenaMemory {
  readonly buffer: ArrayBufferLike;
  grow(deltaPages: number): number;
}

/** Virtual-clock input of one batch: per frame, the capture timestamp in ns (design.md §6 replay `clock`). */
export interface BatchClock {
  /** Nanoseconds since the epoch, one per descriptor of the batch; the helpers' clock follows these. */
  readonly tsNs: BigInt64Array;
}

/** Something a program emitted while running (design.md §6 events): trace_printk text, ring buffer records... */
export interface ProcessorEvent {
  readonly type: 'ringbuf' | 'perf' | 'trace';
  readonly map?: string;
  readonly cpu: number;
  /** The program's clock when it emitted the event, ns. */
  readonly ts: number;
  /** Hex bytes for ringbuf/perf records, text for trace. */
  readonly data: string;
}

export interface FrameProcessor {
  /**
   * Run the program over `n` contiguous descriptors starting at arena address `descAddr`, on worker `cpu`.
   * Writes Desc.ACTION (and redirect kind/target, data/data_end after adjust_*, Desc.ERROR on a fault) back.
   * May throw on an engine fault that is not attributable to one frame.
   */
  runBatch(cpu: number, descAddr: number, n: number, clock: BatchClock | null): void;
  /** Events emitted since the last call (the worker forwards them with the batch's completion). */
  drainEvents?(): ProcessorEvent[];
  /** Release per-isolate resources when the attachment that used it is gone. */
  dispose?(): void;
}

/** How a worker builds a processor: `import(module).createProcessor(memory, spec, cpu)`. */
export interface ProcessorRecipe {
  /** file: URL of an ES module exporting `createProcessor: ProcessorFactory`. */
  readonly module: string;
  /** Structured-cloneable description of the prepared program (instructions bound to arena addresses...). */
  readonly spec: unknown;
}

export type ProcessorFactory = (
  memory: ArenaMemory, spec: unknown, cpu: number,
) => FrameProcessor | Promise<FrameProcessor>;
