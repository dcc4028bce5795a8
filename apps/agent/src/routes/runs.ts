import { problemResponse, validationProblem } from '@repo/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RunExecutor } from '../runs/run-executor.ts';

/**
 * `POST /v1/runs/:runId/continue` — continues a run of the named owner that paused for approvals,
 * once every call is decided (the api asks after recording the last decision; the task-runner's
 * reaper asks again for a run nobody continued). Idempotent: of concurrent requests, on any agent
 * instance, one claims the run (`continued: true`) and executes it; the others, and a run that is
 * not waiting with all its calls decided, get `continued: false`. Follow the run's events at the
 * api (`GET /v1/runs/:id/events`).
 */
export const runRoutes: FastifyPluginAsyncZod<{ executor: RunExecutor }> = async (app, { executor }) => {
  app.post(
    '/v1/runs/:runId/continue',
    {
      schema: {
        summary: 'Continue a run whose approvals are all decided',
        params: z.object({ runId: z.uuid() }),
        response: {
          202: z.object({ runId: z.uuid(), continued: z.boolean() }),
          400: validationProblem,
          503: problemResponse('No model provider is configured, or the agent is shutting down.'),
        },
      },
    },
    async (request, reply) => {
      const { runId } = request.params;
      const continued = await executor.continueRun(request.ownerId, runId);
      return reply.code(202).send({ runId, continued });
    },
  );
};
