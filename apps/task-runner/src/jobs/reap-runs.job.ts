import { reapRuns, type RunReaperDependencies } from '../runs/run-reaper.ts';
import { contractJob } from './job-definition.ts';

/** A pass looks at a hundred runs at most; a few seconds is plenty. */
const REAP_TIMEOUT_MS = 30_000;

export function reapRunsJob(dependencies: Omit<RunReaperDependencies, 'logger'>) {
  return contractJob('reap-runs', {
    // Any replica: a lost run is failed by a conditional statement (still running, lease
    // expired), so it is reaped once whoever runs the pass — and reaping goes on while the
    // leadership moves, keeping the bound of RUN_LEASE_MS + RUN_REAPER_INTERVAL_MS.
    runsOn: 'every-replica',
    // One pass at a time across the replicas: two would race for the same runs (harmlessly, but
    // for nothing).
    concurrency: 1,
    globalConcurrency: 1,
    timeoutMs: REAP_TIMEOUT_MS,
    async process(_payload, { logger }) {
      return reapRuns({ ...dependencies, logger });
    },
  });
}
