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

/**
 * Where a tool call's idempotency key travels: the `_meta` of the MCP `tools/call` request (the
 * protocol's place for request metadata; reverse-DNS prefixed, as the spec asks). The agent sends
 * `<run id>:<tool call id>` with every call; the api's `create_task` honours it, and any MCP
 * server may.
 */
export const TOOL_IDEMPOTENCY_META_KEY = 'io.keelson/idempotency-key';
