import { HttpProblem } from '@repo/http';
import type { FastifyReply } from 'fastify';
import type { AgentClient } from './agent-client.ts';

/** The agent a turn needs, or the 503 that says how to configure it (AGENT_URL unset). */
export function configuredAgent(agent: AgentClient | undefined): AgentClient {
  if (!agent) {
    throw new HttpProblem(503, 'No agent service is configured: set AGENT_URL on the api.', {
      type: 'urn:keelson:problem:agent-not-configured',
    });
  }
  return agent;
}

/**
 * Aborted when the client goes away before the answer is written: it ends the call to the agent,
 * while the run goes on there (resumable, cancellable).
 */
export function abortOnClientClose(reply: FastifyReply): AbortController {
  const upstream = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) upstream.abort();
  });
  return upstream;
}

/**
 * The 429 of a turn (the agent decides it, in the statement that starts the run; the api passes
 * its problem on, Retry-After included).
 */
export const RUN_QUOTA_429 =
  'Rate limit exceeded, or a run quota is used up: `urn:keelson:problem:quota-exceeded` names it (`quota`: monthly-tokens or concurrent-runs), its `limit`, what is `used` (and, for monthly-tokens, what the runs going `reserved`) and `resetsAt` (the first of next month, UTC, for monthly-tokens; Retry-After only when that is within an hour; null for concurrent-runs).';
