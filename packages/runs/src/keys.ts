/**
 * Redis names of the runs transport, under the deployment's QUEUE_PREFIX (one Redis can serve
 * several stacks, as it does for the queues).
 */

/** The live tail of one run's events: a Redis Stream whose entry ids are `<seq>-0`. */
export const runStreamKey = (prefix: string, runId: string) => `${prefix}:run:${runId}`;

/**
 * "Run `id` has new events": published after each batch is appended to the stream. One channel
 * per run, so a replica hears only about the runs its clients follow (it subscribes while one
 * does), all on its one subscriber connection.
 */
export const runEventsChannel = (prefix: string, runId: string) => `${prefix}:run-events:${runId}`;

/** "Stop run `id`": every agent listens; the one executing the run aborts it. */
export const runCancelChannel = (prefix: string) => `${prefix}:cancel-run`;
