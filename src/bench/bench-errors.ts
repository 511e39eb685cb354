/** Bad input to `xdpjit bench` not covered by the loaders' own errors: an unreadable file, an empty capture. */
export class BenchInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchInputError';
  }
}
