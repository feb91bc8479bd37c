// What tests and benchmarks use of the earshot command (the command itself is src/main.ts).
export { SippLoad, SippLoadError, framesIn, writeTwentyMsPcap, SIPP_PCAPS, type SippLoadOptions, type SippLoadResult, type SippEndpoint, type SippProgress } from './sipp-load';
export { captureDropsOf, formatSummary, type LiveSummary } from './live-summary';
export { planRun, RunConfigError, type RunPlan, type RunFlags } from './run-config';
