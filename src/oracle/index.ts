/** The kernel as oracle (design.md §4b): build the C helper, probe the kernel, run, bench and verify. */
export { buildOracle, oracleCacheDir, ORACLE_SOURCE } from './build.js';
export { kernelAvailable, type KernelAvailability } from './availability.js';
export { runKernel, type RunKernelOptions } from './run-kernel.js';
export { kernelBench, kernelFloorBench, type KernelBenchOptions } from './kernel-bench.js';
export { kernelVerify, kernelVerifyObject, type KernelVerifyOptions } from './kernel-verify.js';
export { encodeClassicPcap, withClassicPcap, withTemporaryPcap } from './pcap-file.js';
export { KernelLoadError, KernelOracleError, OracleBuildError } from './oracle-errors.js';
export type * from './oracle-types.js';
export { compareRuns, describeMismatch, policyFor, type CompareInput, type CompareReport, type ComparePolicy, type EngineEventLine, type EngineFrameLine, type EngineRun, type Mismatch, type PolicyOverrides } from './compare-runs.js';
