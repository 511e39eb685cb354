/** Typed failures of the eBPF → wasm translation, carrying the slot index they concern. */
export class JitCompileError extends Error {
  constructor(message: string, readonly program: string, readonly insn: number) {
    super(`${program}: insn ${insn}: ${message}`);
    this.name = 'JitCompileError';
  }
}
