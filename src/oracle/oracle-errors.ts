/** Failures of the kernel oracle, each carrying what the oracle said. */

/** The kernel refused to load the object (the verifier, or map creation): `log` is the verifier's log. */
export class KernelLoadError extends Error {
  constructor(
    readonly objPath: string,
    message: string,
    readonly log: string,
  ) {
    super(`${objPath}: ${message}`);
    this.name = 'KernelLoadError';
  }
}

/** The oracle's input was bad (object, capture or maps file), or it failed for another reason. */
export class KernelOracleError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    message: string,
  ) {
    super(`kernel oracle ${args.join(' ')}: ${message}`);
    this.name = 'KernelOracleError';
  }
}

/** The C helper could not be built (gcc or libbpf-dev missing, or a compile error). */
export class OracleBuildError extends Error {
  constructor(
    message: string,
    readonly compilerOutput: string,
  ) {
    super(message);
    this.name = 'OracleBuildError';
  }
}
