/**
 * The reference interpreter as an XdpEngine, in checked mode (design.md §3a): every access is checked
 * against the running CPU's stack, the frame's packet and ctx, and the maps' values, as are helpers' memory
 * arguments.
 */
import { stackTop } from '../arena-layout.js';
import type { ExecProgram } from '../exec-types.js';
import { Interpreter } from '../interpreter/interpreter.js';
import type { PreparedXdp, XdpEngine } from './engine.js';
import type { Runtime } from './runtime.js';

type InterpreterMemory = ConstructorParameters<typeof Interpreter>[0];

export class InterpEngine implements XdpEngine {
  readonly name = 'interp' as const;
  private readonly perCpu = new Map<number, Interpreter>();

  constructor(private readonly runtime: Runtime) {}

  private interpreter(cpu: number): Interpreter {
    let it = this.perCpu.get(cpu);
    if (!it) {
      it = new Interpreter(this.runtime.arena.memory as unknown as InterpreterMemory, this.runtime.helpers, { checker: this.runtime.checkerFor(cpu) });
      this.perCpu.set(cpu, it);
    }
    return it;
  }

  prepare(program: ExecProgram): PreparedXdp {
    return {
      runFrame: (desc, cpu) => {
        const checker = this.runtime.checkerFor(cpu);
        checker.desc = desc;
        checker.program = program.name;
        this.runtime.setActiveChecker(checker);
        try {
          return this.interpreter(cpu).run(program, { r1: desc, ctx: desc, cpu, stackTop: stackTop(cpu) });
        } finally {
          this.runtime.setActiveChecker(undefined);
        }
      },
    };
  }
}
