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
