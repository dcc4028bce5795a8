import { validationProblem } from '@repo/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { QuotasService } from '../quotas/quotas-service.ts';

const quota = (what: string) =>
  z.object({
    limit: z
      .number()
      .int()
      .describe(`The most ${what} allowed: the configured default or the owner's override.`),
    used: z.number().int().describe(`The ${what} held now.`),
  });

const quotasView = z
  .object({
    documents: quota('documents'),
    storedBytes: quota('bytes stored (uploaded files at their size, text documents at their length)'),
    openAgentRuns: quota('agent runs queued or running'),
    monthlyTokens: quota(
      'model tokens (input + output, every call: run steps, summaries, embeddings) this calendar month, UTC (it resets on the 1st)',
    ),
    concurrentRuns: quota('runs of any kind going at once (queued, running or awaiting an approval)'),
  })
  .meta({ id: 'Quotas' });

export const quotaRoutes: FastifyPluginAsyncZod<{ quotas: QuotasService }> = async (app, { quotas }) => {
  app.get(
    '/v1/quotas',
    {
      // What an owner may hold is read with what it spends: the `read` scope, as GET /v1/usage.
      config: { permission: 'usage:read' },
      schema: {
        summary: "The caller's quotas: each limit in force and what is used now.",
        description:
          'The limits a write is refused against (429 `quota-exceeded`): documents and stored bytes ' +
          '(QUOTA_DOCUMENTS, QUOTA_STORED_BYTES), agent runs queued or running at once ' +
          '(AGENT_RUN_MAX_OPEN_PER_OWNER) — these free up when something is deleted or finishes, not with ' +
          "time — and the agent's run quotas: model tokens this month (QUOTA_MONTHLY_TOKENS; resets on the " +
          "1st, UTC) and runs going at once (QUOTA_CONCURRENT_RUNS). Each is overridden by the owner's row " +
          'in owner_quotas.',
        tags: ['usage'],
        // No parameters: an unknown one is a mistake worth a 400, not silently ignored.
        querystring: z.strictObject({}),
        response: { 200: quotasView, 400: validationProblem },
      },
    },
    async (request) => quotas.of(request.ownerId),
  );
};
