/** design.md §5: the exit codes scripts depend on. */
export const EXIT_OK = 0;
/** A program was rejected by the verifier, or a run failed (engine fault, a frame that errored). */
export const EXIT_FAILURE = 1;
/** Bad usage or bad input (malformed object or capture, unsupported map type/helper/kfunc...). */
export const EXIT_USAGE = 2;
