/**
 * The FrameProcessor that runs a loaded XDP program through an engine of src/vm/runtime (interpreter or
 * JIT), built inside a worker from the runtime's structured-cloneable description (Runtime.describe). The
 * maps are the arena's, so every worker and the control plane see the same map contents. For the JIT the
 * spec carries the WebAssembly modules the main thread compiled (once, through its module cache): the worker
 * only instantiates them (jit/jit-runner.ts), never loading Binaryen or compiling again.
 *
 * Per frame, as the kernel's XDP driver path does: the per-CPU redirect state (bpf_redirect_info) is cleared,
 * the program runs with r1 = the descriptor, its u32 return value becomes the action, and for XDP_REDIRECT the
 * target bpf_redirect / bpf_redirect_map recorded is copied into the descriptor for the data plane.
 */
import { Desc, DESC_SIZE, REDIRECT_STATE, REDIRECT_STATE_BYTES, REDIRECT_TO_DESC, cpuRegion } from '../vm/arena-layout.js';
import { Arena } from '../vm/arena.js';
import { CaptureClock, TimeCell, WallClock, type Clock } from '../vm/clock.js';
import { RuntimeFault } from '../vm/exec-types.js';
import { Runtime, type RuntimeDesc } from '../vm/runtime/runtime.js';
import { VirtualFib } from '../vm/helpers/virtual-fib.js';
import { ENGINES } from '../vm/runtime/engines.js';
import type { XdpEngine } from '../vm/runtime/engine.js';
import type { CompiledProgram } from '../../jit/compile.js';
import { PrecompiledJitEngine } from '../../jit/jit-runner.js';
import { XdpAction } from '../ebpf/opcodes.js';
import type { ArenaMemory, BatchClock, FrameProcessor, ProcessorEvent } from './frame-processor.js';

/** bpf_ktime_get_ns, bpf_jiffies64, bpf_ktime_get_boot_ns, bpf_ktime_get_coarse_ns (uapi helper ids). */
const TIME_HELPERS = [5, 118, 125, 160] as const;

export interface RuntimeProcessorSpec {
  readonly runtime: RuntimeDesc;
  readonly entry: string;
  readonly engine: 'interp' | 'jit';
  readonly harden: boolean;
  readonly seed: number;
  /**
   * engine 'jit': the compiled modules by program name — the entry and every program a PROG_ARRAY of the
   * object may tail-call into (a CompiledProgram's WebAssembly.Module is posted, not recompiled). The
   * daemon's loader always gives them; without them (null or absent) the worker compiles for itself, which
   * loads Binaryen into it.
   */
  readonly modules?: ReadonlyMap<string, CompiledProgram> | null;
  /** The daemon's virtual FIB as its JSON (src/vm/helpers/virtual-fib.ts), for fib_lookup / check_mtu. */
  readonly fib?: unknown;
}

/** Capture time while a batch carries timestamps (replay `clock: capture`), host time otherwise. */
class BatchSelectedClock implements Clock {
  private readonly capture: CaptureClock;
  private readonly wall: WallClock;
  useCapture = false;
  constructor(seed: number) { this.capture = new CaptureClock(seed); this.wall = new WallClock(seed); }
  private get c(): Clock { return this.useCapture ? this.capture : this.wall; }
  monotonicNs(): bigint { return this.c.monotonicNs(); }
  bootNs(): bigint { return this.c.bootNs(); }
  coarseNs(): bigint { return this.c.coarseNs(); }
  jiffies64(): bigint { return this.c.jiffies64(); }
  prandomU32(): number { return this.capture.prandomU32(); }
  enterFrame(ts: bigint): void { this.capture.enterFrame(ts); }
  // The JIT's time cell (src/vm/clock.ts Clock.publish): the selected clock's time, the capture clock's generator.
  publish(u32: Uint32Array, i: number): void {
    this.capture.publish(u32, i);
    if (this.useCapture) return;
    const rand = u32[i + (TimeCell.RAND >>> 2)]!;
    this.wall.publish(u32, i);
    u32[i + (TimeCell.RAND >>> 2)] = rand;
  }
  absorb(u32: Uint32Array, i: number): void { this.capture.absorb(u32, i); }
  monotonicInto(out: Uint32Array, i: number): void { this.c.monotonicInto!(out, i); }
  bootInto(out: Uint32Array, i: number): void { this.c.bootInto!(out, i); }
}

async function engineFor(spec: RuntimeProcessorSpec, rt: Runtime): Promise<XdpEngine> {
  if (spec.engine === 'jit' && spec.modules) return new PrecompiledJitEngine(rt, spec.modules);
  return ENGINES[spec.engine](rt, { harden: spec.harden });
}

export async function createProcessor(memory: ArenaMemory, raw: unknown, _cpu: number): Promise<FrameProcessor> {
  const spec = raw as RuntimeProcessorSpec;
  const arena = Arena.attach(memory as unknown as Parameters<typeof Arena.attach>[0]);
  const clock = new BatchSelectedClock(spec.seed);
  const events: ProcessorEvent[] = [];
  const rt = Runtime.attach(arena, spec.runtime, {
    clock,
    ...(spec.fib !== undefined && spec.fib !== null ? { fib: VirtualFib.parse(spec.fib) } : {}),
    events: (e) => {
      const ts = Number(clock.monotonicNs());
      events.push(e.type === 'trace'
        ? { type: 'trace', cpu: e.cpu, ts, data: e.text }
        : { type: e.type, map: e.map, cpu: e.cpu, ts, data: Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('hex') });
    },
  });
  const engine = await engineFor(spec, rt);
  const program = rt.programs.get(spec.entry);
  if (!program) throw new Error(`no program '${spec.entry}' in the loaded object`);
  const prepared = engine.prepare(program);
  // An engine with a batch entry (the JIT's run_batch) runs n frames per JS→wasm call (design.md §3); the
  // capture clock then needs per-frame entries only for programs that read the time.
  const batched = prepared as { runBatch?: (desc: number, n: number, cpu: number) => void; helperIds?: ReadonlySet<number> };
  const readsTime = [...TIME_HELPERS].some((id) => batched.helperIds?.has(id) ?? true);
  return {
    drainEvents: () => events.splice(0),
    runBatch(cpu: number, descAddr: number, n: number, batchClock: BatchClock | null): void {
      clock.useCapture = batchClock !== null;
      if (batched.runBatch) {
        if (batchClock === null || !readsTime) {
          if (batchClock && n > 0) clock.enterFrame(batchClock.tsNs[n - 1]!);
          batched.runBatch(descAddr, n, cpu);
        } else {
          for (let i = 0; i < n; i++) {
            clock.enterFrame(batchClock.tsNs[i]!);
            batched.runBatch(descAddr + i * DESC_SIZE, 1, cpu);
          }
        }
        return;
      }
      const u32 = arena.u32;
      const rs = (cpuRegion(cpu) + REDIRECT_STATE) >>> 2;
      for (let i = 0; i < n; i++) {
        const d = (descAddr + i * DESC_SIZE) >>> 2;
        u32.fill(0, rs, rs + (REDIRECT_STATE_BYTES >> 2));
        if (batchClock) clock.enterFrame(batchClock.tsNs[i]!);
        let action: number;
        try {
          action = Number(BigInt.asUintN(32, prepared.runFrame(descAddr + i * DESC_SIZE, cpu)));
        } catch (err) {
          if (!(err instanceof RuntimeFault)) throw err;
          u32[d + (Desc.ERROR >> 2)] = 1;
          action = XdpAction.ABORTED;
        }
        u32[d + (Desc.ACTION >> 2)] = action;
        if (action === XdpAction.REDIRECT) {
          for (const [from, to] of REDIRECT_TO_DESC) u32[d + (to >> 2)] = u32[rs + (from >> 2)]!;
        }
      }
    },
  };
}
