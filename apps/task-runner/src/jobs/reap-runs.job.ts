import { reapRuns, type RunReaperDependencies } from '../runs/run-reaper.ts';
import { contractJob } from './job-definition.ts';

/** A pass looks at a hundred runs at most; a few seconds is plenty. */
const REAP_TIMEOUT_MS = 30_000;

export function reapRunsJob(dependencies: Omit<RunReaperDependencies, 'logger'>) {
  return contractJob('reap-runs', {
    // One pass at a time: two would race for the same runs (harmlessly, but for nothing).
    concurrency: 1,
    timeoutMs: REAP_TIMEOUT_MS,
    async process(_payload, { logger }) {
      return reapRuns({ ...dependencies, logger });
    },
  });
}
