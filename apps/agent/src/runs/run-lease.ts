import type { Logger } from '@repo/observability';
import type { TurnProgress } from '../turns/run-turn.ts';
import type { RunEventSink } from './run-event-sink.ts';
import { STOP } from './run-outcomes.ts';
import { RunLostError, type RunStore } from './run-store.ts';

export interface LeaseKeeperOptions {
  runs: RunStore;
  instanceId: string;
  leaseMs: number;
  flushMs: number;
  logger: Logger;
}

/**
 * While a run executes: every `flushMs`, store the events, tool calls and usage since the last
 * time (nothing when there are none), and renew the lease at least every third of `leaseMs`. Each
 * store also answers whether a cancel was asked for (the fallback when the cancel message was
 * lost), and fails when the run is no longer this agent's; both abort the run. A store that fails
 * otherwise (Postgres away) is retried at the next tick: until the lease runs out, nothing is lost.
 */
export function keepLease(
  options: LeaseKeeperOptions,
  run: { runId: string; sink: RunEventSink; controller: AbortController },
  progress: TurnProgress,
) {
  const { runs, instanceId, leaseMs, logger } = options;
  let chain: Promise<void> = Promise.resolve();
  let renewedAt = Date.now();
  const tick = () => {
    chain = chain.then(async () => {
      const events = run.sink.takeUnstored();
      const calls = progress.takeToolCalls();
      const usage = progress.takeUsage();
      const due = Date.now() - renewedAt >= leaseMs / 3;
      const batch = { events, toolCalls: calls, usage };
      const any = events.length > 0 || calls.length > 0 || usage.length > 0;
      if (!any && !due) return;
      try {
        const { cancelRequested } = any
          ? await runs.flush(run.runId, instanceId, leaseMs, batch)
          : await runs.renewLease(run.runId, instanceId, leaseMs);
        renewedAt = Date.now();
        if (cancelRequested) run.controller.abort(STOP.cancelled);
      } catch (error) {
        if (error instanceof RunLostError) {
          run.controller.abort(STOP.lost);
          return;
        }
        run.sink.restoreUnstored(events);
        progress.restoreToolCalls(calls);
        progress.restoreUsage(usage);
        logger.warn({ err: error, runId: run.runId }, 'could not store run events; retrying');
      }
    });
  };
  const timer = setInterval(tick, options.flushMs);
  return {
    /** Stops the ticks, once the one under way (if any) is done. */
    async stop() {
      clearInterval(timer);
      await chain;
    },
  };
}
