import { problem, PROBLEM_CONTENT_TYPE, problemSchema } from '@repo/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Readiness } from '../readiness/readiness.ts';

const checkResult = z.object({ ok: z.boolean() });
const checks = z.object({ postgres: checkResult, migrations: checkResult, redis: checkResult });

/** Probe routes (`probe: true`) are not measured or request-logged; the readiness logs its failures. */
export const healthRoutes: FastifyPluginAsyncZod<{ readiness: Readiness }> = async (app, { readiness }) => {
  app.get(
    '/health',
    {
      config: { probe: true },
      schema: {
        summary: 'Liveness: the process is up and its event loop answers. Touches no dependency.',
        tags: ['probes'],
        response: { 200: z.object({ status: z.literal('ok') }).describe('The process is alive.') },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      config: { probe: true },
      schema: {
        summary: 'Readiness: Postgres and Redis answer and every migration is applied.',
        description:
          'Answered from a result at most about a second old, computed once for every caller in ' +
          'that time. A failing check is reported as `ok: false` only; its cause is in the log.',
        tags: ['probes'],
        response: {
          200: z.object({ status: z.literal('ready'), checks }).describe('Ready to serve traffic.'),
          503: {
            description: 'Not ready: `checks` says which dependency failed (the log says why).',
            content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema.extend({ checks }) } },
          },
        },
      },
    },
    async (request, reply) => {
      const report = await readiness();
      if (report.ready) return { status: 'ready' as const, checks: report.checks };
      const failing = Object.entries(report.checks)
        .filter(([, result]) => !result.ok)
        .map(([name]) => name);
      return reply
        .code(503)
        .type(PROBLEM_CONTENT_TYPE)
        .send({ ...problem(503, `not ready: ${failing.join(', ')}`), checks: report.checks });
    },
  );
};
