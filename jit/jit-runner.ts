/**
 * Running compiled programs, without Binaryen: per CPU one instance of each compiled module against the
 * runtime's arena, the per-CPU tail-call table (jit/tail-call-table.ts) that gains each program as it is
 * instantiated on that CPU, and the prepared program's `runFrame` / `runBatch`. Where the modules come from is
 * the caller's: JitEngine (xdp-engine.ts) compiles through the module cache; PrecompiledJitEngine instantiates
 * modules compiled on another thread — a CompiledProgram is structured-cloneable (its WebAssembly.Module
 * posts to worker_threads), so a data-plane worker runs what the main thread compiled once instead of loading
 * Binaryen (about 300 ms per isolate) and compiling again.
 */
import { Desc, DESC_SIZE } from '../src/vm/arena-layout.js';
import { CallSrc, Class, JmpOp, XdpAction, classOf, opOf } from '../src/ebpf/opcodes.js';
import type { ExecProgram } from '../src/vm/exec-types.js';
import { RuntimeFault } from '../src/vm/exec-types.js';
import type { PreparedXdp, XdpEngine } from '../src/vm/runtime/engine.js';
import type { Runtime } from '../src/vm/runtime/runtime.js';
import type { CompiledProgram } from './compile.js';
import { slotWidth } from './cfg.js';
import { JitInstance } from './instance.js';
import { mapValueObjects } from './harden-helper-args.js';
import { Wasm, type WasmTable } from './wasm-api.js';

export interface PreparedJitXdp extends PreparedXdp {
  readonly compiled: CompiledProgram;
  /** Helper ids the program calls directly (a caller may keep per-frame JS work, e.g. a capture clock, for these). */
  readonly helperIds: ReadonlySet<number>;
  /**
   * Run the program over `n` descriptors at `desc` (DESC_SIZE apart) on `cpu` in one wasm call: per frame the
   * redirect state is cleared, Desc.ACTION written and, for XDP_REDIRECT, the redirect fields copied (REDIRECT_TO_DESC).
   * A frame that faults (a helper's RuntimeFault, a wasm trap) gets Desc.ERROR = 1 and XDP_ABORTED, and
   * the batch resumes after it.
   */
  runBatch(desc: number, n: number, cpu: number): void;
}

/** The compiled module of a program of the runtime (tail-call targets are asked for when first called). */
export type ModuleFor = (program: ExecProgram) => CompiledProgram;

function calledHelpers(program: ExecProgram): Set<number> {
  const ids = new Set<number>();
  const insns = program.insns;
  for (let i = 0; i < insns.length; i += slotWidth(insns[i]!)) {
    const insn = insns[i]!;
    if (classOf(insn.code) === Class.JMP && opOf(insn.code) === JmpOp.CALL && insn.src === CallSrc.HELPER) ids.add(insn.imm);
  }
  return ids;
}

export class JitRunner {
  /** Instances per compiled module and CPU. */
  private readonly instances = new Map<CompiledProgram, Map<number, JitInstance>>();
  /** Per CPU: the tail-call table, indexed by runtime program id (jit/tail-call-table.ts). */
  private readonly progTables = new Map<number, WasmTable>();

  constructor(private readonly runtime: Runtime, private readonly moduleFor: ModuleFor) {}

  private progTable(cpu: number): WasmTable {
    let table = this.progTables.get(cpu);
    if (table === undefined) this.progTables.set(cpu, (table = new Wasm.Table({ element: 'anyfunc', initial: this.runtime.programs.size + 1 })));
    return table;
  }

  private instance(compiled: CompiledProgram, cpu: number, program: ExecProgram | undefined): JitInstance {
    let perCpu = this.instances.get(compiled);
    if (perCpu === undefined) this.instances.set(compiled, (perCpu = new Map()));
    let inst = perCpu.get(cpu);
    if (inst === undefined) {
      inst = new JitInstance(compiled, {
        memory: this.runtime.arena.memory,
        cpu,
        helpers: this.runtime.helpers,
        clock: this.runtime.clock,
        ...(compiled.blindKey !== undefined ? { helperArgObjects: mapValueObjects(this.runtime.maps.values()) } : {}),
        tailCallTarget: (target) => this.instance(this.moduleFor(target), cpu, target),
        progTable: this.progTable(cpu),
      });
      perCpu.set(cpu, inst);
      // From now on tail calls to this program on this CPU stay inside wasm.
      const id = program === undefined ? undefined : this.runtime.programId(program.name);
      if (id !== undefined && this.runtime.programById(id) === program) this.progTable(cpu).set(id, inst.tailEntry);
    }
    return inst;
  }

  /** `compiled` runs `programs` (one, or a fused chain's); `program` is the one it enters, when single. */
  prepare(compiled: CompiledProgram, programs: readonly ExecProgram[], program: ExecProgram | undefined): PreparedJitXdp {
    const arena = this.runtime.arena;
    const helperIds = new Set<number>();
    for (const p of programs) for (const id of calledHelpers(p)) helperIds.add(id);
    return {
      compiled,
      helperIds,
      runFrame: (desc, cpu) => this.instance(compiled, cpu, program).run(BigInt(desc), 0n, desc),
      runBatch: (desc, n, cpu) => {
        const inst = this.instance(compiled, cpu, program);
        const end = desc + n * DESC_SIZE;
        let next = desc;
        while (next < end) {
          try {
            inst.runBatch(next, (end - next) / DESC_SIZE);
            return;
          } catch (err) {
            if (!(err instanceof RuntimeFault) && !(err instanceof Wasm.RuntimeError)) throw err;
            const faulted = inst.currentDesc;
            const u32 = arena.u32;
            u32[(faulted + Desc.ERROR) >>> 2] = 1;
            u32[(faulted + Desc.ACTION) >>> 2] = XdpAction.ABORTED;
            next = faulted + DESC_SIZE;
          }
        }
      },
    };
  }
}

/**
 * The JIT engine of a thread that compiles nothing: `modules` holds, by program name, what another thread
 * compiled for this runtime (the entry, and every program a PROG_ARRAY may tail-call into).
 */
export class PrecompiledJitEngine implements XdpEngine {
  readonly name = 'jit' as const;
  private readonly runner: JitRunner;

  constructor(runtime: Runtime, private readonly modules: ReadonlyMap<string, CompiledProgram>) {
    this.runner = new JitRunner(runtime, (p) => this.moduleFor(p));
  }

  private moduleFor(program: ExecProgram): CompiledProgram {
    const compiled = this.modules.get(program.name);
    // A tail call into a program the compiling thread could not compile aborts that frame, as a trap would.
    if (compiled === undefined) throw new RuntimeFault(`no compiled module for program '${program.name}'`, 0, program.name);
    return compiled;
  }

  prepare(program: ExecProgram): PreparedJitXdp {
    return this.runner.prepare(this.moduleFor(program), [program], program);
  }
}
