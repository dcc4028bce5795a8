import { HttpProblem, problemResponse } from '@repo/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { summarizeConversation, type SummaryDependencies } from '../summaries/summarize-conversation.ts';

/** Called by the summarize-conversation job; the turn that asked for it never waits. */
export const summaryRoutes: FastifyPluginAsyncZod<{ summaries: SummaryDependencies }> = async (
  app,
  { summaries },
) => {
  app.post(
    '/v1/conversations/:conversationId/summarize',
    {
      schema: {
        summary: 'Fold the turns that no longer fit the token budget into the running summary',
        params: z.object({ conversationId: z.uuid() }),
        response: {
          200: z.discriminatedUnion('status', [
            z.object({
              status: z.literal('summarized'),
              summarizedThroughSeq: z.number().int(),
              summaryTokens: z.number().int(),
            }),
            z.object({ status: z.literal('up-to-date') }),
          ]),
          404: problemResponse('No such conversation for this owner.'),
          502: problemResponse('The model provider failed after retries.'),
          503: problemResponse('No model provider is configured.'),
          504: problemResponse('The model did not answer in time.'),
        },
      },
    },
    async (request) => {
      try {
        return await summarizeConversation(
          summaries,
          request.ownerId,
          request.params.conversationId,
          undefined,
          request.id,
        );
      } catch (error) {
        // The caller (the summarize job) gets a problem without the provider's words; the cause
        // (the problem's `cause`, scrubbed by the log's serializer) is kept here.
        if (error instanceof HttpProblem && error.status >= 500) {
          request.log.warn({ err: error }, 'summary failed');
        }
        throw error;
      }
    },
  );
};
