import type { MaintenanceDependencies, MaintenancePolicy } from '../maintenance/maintenance.ts';
import { runMaintenance } from '../maintenance/maintenance.ts';
import { contractJob } from './job-definition.ts';

/** Generous: a run works through at most a few batches of rows and queue look-ups. */
const MAINTENANCE_TIMEOUT_MS = 5 * 60_000;

export function maintenanceJob(dependencies: MaintenanceDependencies, policy: MaintenancePolicy) {
  return contractJob('maintenance', {
    // The leader's: its scheduler is the leader's, and one run at a time (fenced by the leader
    // lock) keeps two runs from working on the same rows, whatever the replica count.
    runsOn: 'leader',
    // One run at a time is plenty.
    concurrency: 1,
    timeoutMs: MAINTENANCE_TIMEOUT_MS,
    async process(_payload, { signal, logger }) {
      return runMaintenance({ ...dependencies, logger }, policy, signal);
    },
  });
}
