/**
 * Programs whose verdicts do not depend on the nondeterministic helpers they call, so more is compared
 * than policyFor() derives from the helper list (design.md §4b: "compared on what does not depend on them").
 */
import type { PolicyOverrides } from '../../src/oracle/index.js';

export const POLICY_OVERRIDES: PolicyOverrides = {
  // Returns ABORTED only if a clock ran backwards or boot time fell below monotonic time: PASS on any sane
  // clock, the kernel's or xdpjit's virtual one. The readings themselves (.bss) stay uncompared.
  clocks: { frames: true, why: 'verdicts hold on any monotonic clock; readings in .bss not compared' },
};
