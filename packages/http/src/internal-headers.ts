/**
 * How deep in a chain of agent runs a call is made: 0 for a conversation turn or a run a user
 * queued, n + 1 for a run queued (with the `create_task` tool) by a run at depth n. The
 * task-runner sends a run's depth to the agent, the agent sends it on with each call to the api's
 * tools, and the api stores a queued run's depth and refuses one beyond AGENT_RUN_MAX_DEPTH. Only
 * the service token's calls carry it: a user's own request is never inside a run.
 */
export const RUN_DEPTH_HEADER = 'x-keelson-run-depth';

/** Deeper than any sane AGENT_RUN_MAX_DEPTH; a larger value is refused as malformed. */
export const MAX_RUN_DEPTH_VALUE = 100;
