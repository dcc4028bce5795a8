import { timestamp, validationProblem } from '@repo/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { usageGroupings, type UsageService } from '../usage/usage-service.ts';

/** A year and a day: a calendar year whatever the leap days; longer ranges are separate asks. */
export const MAX_USAGE_RANGE_DAYS = 366;
const DAY_MS = 24 * 3600 * 1000;

const totals = z.object({
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  calls: z.number().int().describe('Model calls (each step of a run is one, a summary one).'),
  cost: z
    .number()
    .nullable()
    .describe('USD of the priced calls (MODEL_PRICES when each call was made); null when none is priced.'),
  unpricedCalls: z.number().int().describe('Calls of a model without a price: not included in cost.'),
});

const usageView = z
  .object({
    from: timestamp,
    to: timestamp,
    groupBy: z.enum(usageGroupings),
    totals,
    groups: z
      .array(
        totals.extend({
          day: z.iso.date().optional().describe('groupBy=day: the calendar day, UTC.'),
          provider: z.string().optional().describe('groupBy=model.'),
          model: z.string().optional().describe('groupBy=model.'),
        }),
      )
      .describe('Only the days or models with usage, in order.'),
  })
  .meta({ id: 'Usage' });

/** The first instant of the current calendar month, UTC: the default start (a monthly bill). */
const startOfMonth = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

const usageQuery = z
  .object({
    from: timestamp.optional().describe('Inclusive; default: the start of the current month (UTC).'),
    to: timestamp.optional().describe('Exclusive; default: now.'),
    groupBy: z.enum(usageGroupings).default('day'),
  })
  .transform(({ from, to, groupBy }, context) => {
    const end = to ?? new Date();
    const start = from ?? startOfMonth(end);
    if (start.getTime() >= end.getTime()) {
      context.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
      return z.NEVER;
    }
    if (end.getTime() - start.getTime() > MAX_USAGE_RANGE_DAYS * DAY_MS) {
      context.addIssue({
        code: 'custom',
        path: ['to'],
        message: `the range may span at most ${MAX_USAGE_RANGE_DAYS} days`,
      });
      return z.NEVER;
    }
    return { from: start, to: end, groupBy };
  });

export const usageRoutes: FastifyPluginAsyncZod<{ usage: UsageService }> = async (app, { usage }) => {
  app.get(
    '/v1/usage',
    {
      config: { permission: 'usage:read' },
      schema: {
        summary: "The caller's model usage and cost in a time range, by day or by model.",
        description:
          'Every model call of the owner (each step of an agent run, conversation summaries, embeddings of ' +
          'its documents and search queries) with ' +
          'its tokens and, when its model has a price in MODEL_PRICES, its cost in USD at the price ' +
          `of that moment. The range is [from, to), at most ${MAX_USAGE_RANGE_DAYS} days.`,
        tags: ['usage'],
        querystring: usageQuery,
        response: { 200: usageView, 400: validationProblem },
      },
    },
    async (request) => {
      const { from, to, groupBy } = request.query;
      return { from, to, groupBy, ...(await usage.summarize(request.ownerId, { from, to }, groupBy)) };
    },
  );
};
