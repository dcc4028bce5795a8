import { checkMigrations, readBundledMigrations, type Pool } from '@repo/db';
import { PROBLEM_CONTENT_TYPE, problem } from '@repo/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ConfiguredModel } from '../models/language-model.ts';
import { missingModelHint } from '../models/language-model.ts';
import type { Toolbox } from '../tools/mcp-toolbox.ts';

/**
 * `/health` answers while the process lives. `/ready` answers 200 when the database is reachable
 * and migrated, and always reports which model provider is configured (or that none is) and the
 * MCP servers' state: a missing model or a down tool server degrades turns, it does not make
 * the service unroutable.
 */
export const probeRoutes: FastifyPluginAsyncZod<{
  pool: Pool;
  model: ConfiguredModel | undefined;
  toolbox: Toolbox;
}> = async (app, { pool, model, toolbox }) => {
  const bundled = readBundledMigrations();
  const modelReport = model
    ? { configured: true, provider: model.provider, model: model.modelId }
    : { configured: false, hint: missingModelHint() };

  app.get('/health', { config: { probe: true } }, async () => ({ status: 'ok' }));

  app.get('/ready', { config: { probe: true } }, async (request, reply) => {
    let database: { ok: true } | { ok: false; error: string };
    try {
      const status = await checkMigrations(pool, bundled);
      database = status.upToDate
        ? { ok: true }
        : { ok: false, error: `pending migrations: ${status.pending.join(', ')}` };
    } catch (error) {
      database = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    const report = { database, model: modelReport, mcpServers: toolbox.status() };
    if (database.ok) return { status: 'ready', ...report };
    request.log.warn({ database }, 'not ready');
    return reply
      .code(503)
      .type(PROBLEM_CONTENT_TYPE)
      .send({ ...problem(503, 'not ready: database'), ...report });
  });
};
